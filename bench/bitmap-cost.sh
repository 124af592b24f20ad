#!/usr/bin/env bash
# What the write-intent bitmap costs: 4 KiB random writes (QD32) on two identical RAID-5
# arrays served by one raid5d in the same run, one with an internal bitmap (default 64 MiB
# chunk, or --bitmap-chunk) and one without. Runs alternate (bitmap, none, bitmap, none) to
# spread noise. Also reports bitmap page writes per 1000 array writes, from raid5d's metrics.
#
# Usage: bench/bitmap-cost.sh [--array-size 1536M] [--runtime 10] [--rounds 2] [--bitmap-chunk 64M] [--dir /dev/shm]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
array_size=1536M; runtime=10; rounds=2; bitmap_chunk=64M; base=/dev/shm
while [ $# -gt 0 ]; do
    case "$1" in
        --array-size) array_size="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --bitmap-chunk) bitmap_chunk="$2"; shift 2 ;;
        --dir) base="$2"; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "bitmap-cost: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in fio python3 curl java; do
    command -v "$tool" >/dev/null || { echo "bitmap-cost: $tool is missing" >&2; exit 1; }
done
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
bytes() { python3 -c 'import sys
s=sys.argv[1].upper(); u={"K":1<<10,"M":1<<20,"G":1<<30}
print(int(s[:-1])*u[s[-1]] if s[-1] in u else int(s))' "$1"; }

work="$(mktemp -d "$base/raid5d-bmcost.XXXXXX")"
pid=""
cleanup() { [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

member_kib=$(( $(bytes "$array_size") / 3 / 1024 ))
"$home/bin/raid5" create --raid-devices 4 --chunk 512K --size "${member_kib}K" --bitmap internal \
    --bitmap-chunk "$bitmap_chunk" --name bm "$work"/bm{0,1,2,3}.img >/dev/null
"$home/bin/raid5" create --raid-devices 4 --chunk 512K --size "${member_kib}K" --bitmap none \
    --name nobm "$work"/nb{0,1,2,3}.img >/dev/null
nbd_port=$(free_port); metrics_port=$(free_port); : >"$work/raid5d.log"
"$home/bin/raid5d" --listen "127.0.0.1:$nbd_port" --control "$work/raid5d.sock" --metrics "127.0.0.1:$metrics_port" \
    --array "bm=$(ls "$work"/bm?.img | paste -sd,)" --array "nobm=$(ls "$work"/nb?.img | paste -sd,)" \
    >"$work/raid5d.log" 2>&1 &
pid=$!
for i in $(seq 100); do grep -q "serving NBD" "$work/raid5d.log" && break; sleep 0.2; done
grep -q "serving NBD" "$work/raid5d.log" || { cat "$work/raid5d.log" >&2; exit 1; }

metric() { # name array -> value
    curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v n="$1" -v a="array=\"$2\"" \
        'index($0, n"{") == 1 && index($0, a) { v = $NF } END { print (v == "" ? 0 : v) }'
}
size="$(( member_kib / 1024 * 3 ))M"
for r in $(seq "$rounds"); do
    for a in bm nobm; do
        before_pages=$(metric raid5_bitmap_page_writes_total "$a"); before_syncs=$(metric raid5_bitmap_syncs_total "$a")
        fio --name="$a" --ioengine=nbd --uri="nbd://127.0.0.1:$nbd_port/$a" --rw=randwrite --bs=4k --iodepth=32 \
            --size="$size" --runtime="$runtime" --time_based --randrepeat=0 \
            --output-format=json --output="$work/$a-$r.json" >/dev/null
        after_pages=$(metric raid5_bitmap_page_writes_total "$a"); after_syncs=$(metric raid5_bitmap_syncs_total "$a")
        echo "$a $r $before_pages $after_pages $before_syncs $after_syncs" >>"$work/bitmap.txt"
    done
done

python3 - "$work" "$rounds" "$runtime" "$bitmap_chunk" "$size" <<'PY'
import json, os, sys
work, rounds, runtime, chunk, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
bm = {}
for line in open(os.path.join(work, "bitmap.txt")):
    a, r, bp, ap, bs, as_ = line.split()
    bm[(a, int(r))] = (float(ap) - float(bp), float(as_) - float(bs))
iops = {"bm": [], "nobm": []}
ios = {"bm": 0, "nobm": 0}
pages = syncs = 0.0
for r in range(1, rounds + 1):
    for a in ("bm", "nobm"):
        w = json.load(open(os.path.join(work, f"{a}-{r}.json")))["jobs"][0]["write"]
        iops[a].append(w["iops"])
        ios[a] += w["total_ios"]
        if a == "bm":
            pages += bm[(a, r)][0]; syncs += bm[(a, r)][1]
mean = lambda xs: sum(xs) / len(xs)
b, n = mean(iops["bm"]), mean(iops["nobm"])
print(f"4 KiB random write, QD32, {rounds} x {runtime}s per array, export {size}, members on tmpfs, bitmap chunk {chunk}")
print("| array | IOPS (mean) | runs |")
print("|---|---|---|")
print(f"| internal bitmap | {b:.0f} | {', '.join(f'{x:.0f}' for x in iops['bm'])} |")
print(f"| no bitmap | {n:.0f} | {', '.join(f'{x:.0f}' for x in iops['nobm'])} |")
print(f"bitmap cost: {100 * (1 - b / n):.1f}% (target <= 10%)")
print(f"bitmap page writes per 1000 array writes: {1000 * pages / ios['bm']:.3f} ({pages:.0f} pages, {syncs:.0f} syncs, {ios['bm']} writes)")
PY
