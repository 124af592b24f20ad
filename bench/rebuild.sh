#!/usr/bin/env bash
# Degraded-mode figures: rebuild throughput onto a spare and degraded 4 KiB random reads.
#
# raid5d serves a 4-member RAID-5 on member files in tmpfs (filled by fio first). fio's nbd
# engine measures 4 KiB random-read IOPS at QD32 healthy, then after `raid5 fail` of one member
# (a quarter of the reads are reconstructed from the other three); then the member is removed, a
# spare on tmpfs is added and the rebuild is timed (no client I/O, --sync-speed-max 0 = unlimited).
# Bounded: every fio job runs --runtime seconds; everything started here is stopped on exit.
#
# Usage: bench/rebuild.sh [--array-size 1536M] [--chunk 512K] [--runtime 8] [--dir /dev/shm]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
array_size=1536M; chunk=512K; runtime=8; base=/dev/shm
while [ $# -gt 0 ]; do
    case "$1" in
        --array-size) array_size="$2"; shift 2 ;;
        --chunk) chunk="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --dir) base="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "rebuild: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in fio python3 java; do
    command -v "$tool" >/dev/null || { echo "rebuild: $tool is missing" >&2; exit 1; }
done
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)
bytes() { python3 -c 'import sys
s=sys.argv[1].upper(); u={"K":1<<10,"M":1<<20,"G":1<<30}
print(int(s[:-1])*u[s[-1]] if s[-1] in u else int(s))' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

work="$(mktemp -d "$base/raid5d-rebuild.XXXXXX")"
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

member=$(( $(bytes "$array_size") / 3 ))
"$home/bin/raid5" create --raid-devices 4 --chunk "$chunk" --size "$(( member / 1024 ))K" --name rb \
    "$work/m0.img" "$work/m1.img" "$work/m2.img" "$work/m3.img" >/dev/null
truncate -s $(( member + (64 << 20) )) "$work/spare.img"
port=$(free_port)
sock="$work/raid5d.sock"
"$home/bin/raid5d" --listen "127.0.0.1:$port" --control "$sock" --sync-speed-max 0 \
    --array "rb=$work/m0.img,$work/m1.img,$work/m2.img,$work/m3.img" >"$work/raid5d.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "serving NBD" "$work/raid5d.log" && break; sleep 0.2; done
uri="nbd://127.0.0.1:$port/rb"
size=$(( member / (1 << 20) * 3 ))M
fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=8 --size="$size" >/dev/null
iops() {
    fio --name=rr --ioengine=nbd --uri="$uri" --rw=randread --bs=4k --iodepth=32 --size="$size" \
        --time_based --runtime="$runtime" --output-format=json --output="$work/rr.json" >/dev/null
    python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["jobs"][0]["read"]["iops"]))' "$work/rr.json"
}
iops >/dev/null  # warm-up: JIT and page cache, so the healthy figure is not a cold one
healthy=$(iops)
"$home/bin/raid5" --control "$sock" fail rb "$work/m1.img" >/dev/null
degraded=$(iops)
"$home/bin/raid5" --control "$sock" remove rb "$work/m1.img" >/dev/null
start=$(date +%s.%N)
"$home/bin/raid5" --control "$sock" add rb "$work/spare.img" >/dev/null
while "$home/bin/raid5" --control "$sock" detail rb | grep -q recovering; do sleep 0.05; done
end=$(date +%s.%N)
python3 - "$healthy" "$degraded" "$start" "$end" "$member" "$chunk" <<'PY'
import sys
h, d, s, e, m, c = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
secs = e - s
print(f"chunk {c}, member {m >> 20} MiB")
print(f"4 KiB random read QD32: healthy {h} IOPS, degraded {d} IOPS, ratio {d / h:.2f}")
print(f"rebuild: {m >> 20} MiB onto the spare in {secs:.1f} s = {m / secs / (1 << 20):.0f} MiB/s")
PY
