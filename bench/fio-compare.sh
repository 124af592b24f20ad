#!/usr/bin/env bash
# Throughput of raid5d against nbdkit's file plugin on the same storage, in one run.
#
# raid5d serves a 4-member RAID-5 on member files in tmpfs; nbdkit serves one file of the
# same size in the same tmpfs. fio's nbd engine drives both with the same jobs:
#   1 MiB sequential write and read at queue depth 16, 4 KiB random read and write at 32.
# Prints a table with the raid5d / nbdkit ratio next to each target. Bounded: every job
# runs for --warmup seconds unmeasured (default 3: the JVM's JIT compiles the hot paths in the
# first seconds, several CPU-seconds on 2 cores), then --runtime seconds measured (default 15),
# on both servers alike; everything started here is stopped on exit.
#
# Usage: bench/fio-compare.sh [--array-size 3G] [--chunk 512K] [--runtime 15] [--warmup 3]
#                             [--dir /dev/shm] [--raid5d-opts "..."] [--json OUTFILE]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
array_size=3G; chunk=512K; runtime=15; warmup=3; base=/dev/shm; raid5d_opts=""; json_out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --array-size) array_size="$2"; shift 2 ;;
        --chunk) chunk="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --dir) base="$2"; shift 2 ;;
        --raid5d-opts) raid5d_opts="$2"; shift 2 ;;
        --json) json_out="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "fio-compare: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in fio nbdkit python3 java; do
    command -v "$tool" >/dev/null || { echo "fio-compare: $tool is missing (apt-get install -y fio nbdkit python3)" >&2; exit 1; }
done
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)

bytes() { python3 -c 'import sys
s=sys.argv[1].upper(); u={"K":1<<10,"M":1<<20,"G":1<<30,"T":1<<40}
print(int(s[:-1])*u[s[-1]] if s[-1] in u else int(s))' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

work="$(mktemp -d "$base/raid5d-bench.XXXXXX")"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

total=$(bytes "$array_size")
member=$(( total / 3 ))
"$home/bin/raid5" create --raid-devices 4 --chunk "$chunk" --size "$(( member / 1024 ))K" --bitmap internal \
    --name bench "$work/m0.img" "$work/m1.img" "$work/m2.img" "$work/m3.img" >/dev/null
p1=$(free_port)
# shellcheck disable=SC2086
"$home/bin/raid5d" --listen "127.0.0.1:$p1" --control "$work/raid5d.sock" $raid5d_opts \
    --array "bench=$work/m0.img,$work/m1.img,$work/m2.img,$work/m3.img" >"$work/raid5d.log" 2>&1 &
pids+=($!)
size=$(( member / (1 << 20) * 3 ))M  # what the array exports, rounded to MiB for fio

truncate -s "$(bytes "$size")" "$work/nbdkit.img"
p2=$(free_port)
nbdkit -f -i 127.0.0.1 -p "$p2" -e bench file "$work/nbdkit.img" >"$work/nbdkit.log" 2>&1 &
pids+=($!)
for i in $(seq 100); do
    grep -q "serving NBD" "$work/raid5d.log" 2>/dev/null && nbdinfo --size "nbd://127.0.0.1:$p2/bench" >/dev/null 2>&1 && break
    sleep 0.2
done
grep -q "serving NBD" "$work/raid5d.log" || { cat "$work/raid5d.log" >&2; exit 1; }

run_job() { # server-label uri name rw bs iodepth
    local label="$1" uri="$2" name="$3" rw="$4" bs="$5" qd="$6"
    if [ "$warmup" -gt 0 ]; then
        fio --name="$name-warmup" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$qd" \
            --size="$size" --runtime="$warmup" --time_based --numjobs=1 --randrepeat=0 \
            --output-format=json --output="$work/$label-$name-warmup.json" >/dev/null
    fi
    fio --name="$name" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$qd" \
        --size="$size" --runtime="$runtime" --time_based --numjobs=1 --randrepeat=0 \
        --output-format=json --output="$work/$label-$name.json" >/dev/null
}
jobs=("seqwrite write 1M 16" "seqread read 1M 16" "randread randread 4k 32" "randwrite randwrite 4k 32")
# Fill both exports first so reads return real data on both sides.
for label in raid5d nbdkit; do
    port=$p1; [ "$label" = nbdkit ] && port=$p2
    fio --name=fill --ioengine=nbd --uri="nbd://127.0.0.1:$port/bench" --rw=write --bs=1M --iodepth=16 \
        --size="$size" --output-format=json --output="$work/$label-fill.json" >/dev/null
done
for j in "${jobs[@]}"; do
    set -- $j
    for label in raid5d nbdkit; do
        port=$p1; [ "$label" = nbdkit ] && port=$p2
        run_job "$label" "nbd://127.0.0.1:$port/bench" "$1" "$2" "$3" "$4"
    done
done

python3 - "$work" "$json_out" "$runtime" "$size" "$chunk" <<'PY'
import json, sys, os
work, json_out, runtime, size, chunk = sys.argv[1:6]
targets = {"seqwrite": 0.8, "seqread": 1.0, "randread": 0.9, "randwrite": 0.5}
titles = {"seqwrite": "1 MiB seq write, QD16", "seqread": "1 MiB seq read, QD16",
          "randread": "4 KiB rand read, QD32", "randwrite": "4 KiB rand write, QD32"}
def result(label, name):
    j = json.load(open(os.path.join(work, f"{label}-{name}.json")))["jobs"][0]
    side = j["write"] if "write" in name else j["read"]
    return side["bw_bytes"] / (1 << 20), side["iops"]
rows, out = [], {}
print(f"fio nbd engine, {runtime}s per job after a warm-up, export {size}, raid5d: 4 members, {chunk} chunk, members on tmpfs")
print("| workload | raid5d | nbdkit file | ratio | target |")
print("|---|---|---|---|---|")
for name in ["seqwrite", "seqread", "randread", "randwrite"]:
    r_bw, r_iops = result("raid5d", name)
    n_bw, n_iops = result("nbdkit", name)
    ratio = r_bw / n_bw if n_bw else 0.0
    fmt = (lambda bw, iops: f"{bw:.0f} MiB/s") if name.startswith("seq") else (lambda bw, iops: f"{iops:.0f} IOPS")
    print(f"| {titles[name]} | {fmt(r_bw, r_iops)} | {fmt(n_bw, n_iops)} | {ratio:.2f} | >= {targets[name]} |")
    out[name] = {"raid5d_MiBps": r_bw, "raid5d_iops": r_iops, "nbdkit_MiBps": n_bw, "nbdkit_iops": n_iops, "ratio": ratio}
if json_out:
    json.dump(out, open(json_out, "w"), indent=2)
PY
