#!/usr/bin/env bash
# Throughput of raid5d against nbdkit's file plugin on the same storage, in one run.
#
# raid5d serves a 4-member RAID-5 on member files in tmpfs; nbdkit serves one file of the
# same size in the same tmpfs. fio's nbd engine drives both with the same jobs:
#   1 MiB sequential write and read at queue depth 16, 4 KiB random read and write at 32.
# Prints a table with the raid5d / nbdkit ratio next to each target, and each server's CPU time
# per GiB moved (utime + stime from /proc/PID/stat over the measured run: what a byte costs on a
# CPU-bound machine). With --rounds N the jobs run N times, the two servers alternating within
# each round, and the table gives each round's ratio and the median. Bounded: every job runs for
# --warmup seconds unmeasured (default 3: the JVM's JIT compiles the hot paths in the first
# seconds, several CPU-seconds on 2 cores), then --runtime seconds measured (default 15), on both
# servers alike; everything started here is stopped on exit.
#
# Usage: bench/fio-compare.sh [--array-size 3G] [--chunk 512K] [--runtime 15] [--warmup 3]
#                             [--rounds 1] [--dir /dev/shm] [--raid5d-opts "..."] [--json OUTFILE]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
array_size=3G; chunk=512K; runtime=15; warmup=3; rounds=1; base=/dev/shm; raid5d_opts=""; json_out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --array-size) array_size="$2"; shift 2 ;;
        --chunk) chunk="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --dir) base="$2"; shift 2 ;;
        --raid5d-opts) raid5d_opts="$2"; shift 2 ;;
        --json) json_out="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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
raid5d_pid=$!
size=$(( member / (1 << 20) * 3 ))M  # what the array exports, rounded to MiB for fio

truncate -s "$(bytes "$size")" "$work/nbdkit.img"
p2=$(free_port)
nbdkit -f -i 127.0.0.1 -p "$p2" -e bench file "$work/nbdkit.img" >"$work/nbdkit.log" 2>&1 &
pids+=($!)
nbdkit_pid=$!
for i in $(seq 100); do
    grep -q "serving NBD" "$work/raid5d.log" 2>/dev/null && nbdinfo --size "nbd://127.0.0.1:$p2/bench" >/dev/null 2>&1 && break
    sleep 0.2
done
grep -q "serving NBD" "$work/raid5d.log" || { cat "$work/raid5d.log" >&2; exit 1; }

cpu_ticks() { # utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
run_job() { # server-label uri name rw bs iodepth round
    local label="$1" uri="$2" name="$3" rw="$4" bs="$5" qd="$6" round="$7" pid before
    pid=$raid5d_pid; [ "$label" = nbdkit ] && pid=$nbdkit_pid
    if [ "$warmup" -gt 0 ]; then
        fio --name="$name-warmup" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$qd" \
            --size="$size" --runtime="$warmup" --time_based --numjobs=1 --randrepeat=0 \
            --output-format=json --output="$work/$label-$name-warmup.json" >/dev/null
    fi
    before=$(cpu_ticks "$pid")
    fio --name="$name" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$qd" \
        --size="$size" --runtime="$runtime" --time_based --numjobs=1 --randrepeat=0 \
        --output-format=json --output="$work/$label-$name-r$round.json" >/dev/null
    echo $(( $(cpu_ticks "$pid") - before )) >"$work/$label-$name-r$round.cpu"
}
jobs=("seqwrite write 1M 16" "seqread read 1M 16" "randread randread 4k 32" "randwrite randwrite 4k 32")
# Fill both exports first so reads return real data on both sides.
for label in raid5d nbdkit; do
    port=$p1; [ "$label" = nbdkit ] && port=$p2
    fio --name=fill --ioengine=nbd --uri="nbd://127.0.0.1:$port/bench" --rw=write --bs=1M --iodepth=16 \
        --size="$size" --output-format=json --output="$work/$label-fill.json" >/dev/null
done
for round in $(seq "$rounds"); do
    for j in "${jobs[@]}"; do
        set -- $j
        order="raid5d nbdkit"; [ $(( round % 2 )) -eq 0 ] && order="nbdkit raid5d"  # who goes first alternates
        for label in $order; do
            port=$p1; [ "$label" = nbdkit ] && port=$p2
            run_job "$label" "nbd://127.0.0.1:$port/bench" "$1" "$2" "$3" "$4" "$round"
        done
    done
done

python3 - "$work" "$json_out" "$runtime" "$size" "$chunk" "$rounds" "$(getconf CLK_TCK)" <<'PY'
import json, sys, os, statistics
work, json_out, runtime, size, chunk = sys.argv[1:6]
rounds, hz = int(sys.argv[6]), int(sys.argv[7])
targets = {"seqwrite": 0.8, "seqread": 1.2, "randread": 1.0, "randwrite": 0.5}
titles = {"seqwrite": "1 MiB seq write, QD16", "seqread": "1 MiB seq read, QD16",
          "randread": "4 KiB rand read, QD32", "randwrite": "4 KiB rand write, QD32"}
def result(label, name, r):
    j = json.load(open(os.path.join(work, f"{label}-{name}-r{r}.json")))["jobs"][0]
    side = j["write"] if "write" in name else j["read"]
    ticks = int(open(os.path.join(work, f"{label}-{name}-r{r}.cpu")).read())
    gib = side["io_bytes"] / (1 << 30)
    return side["bw_bytes"] / (1 << 20), side["iops"], (ticks / hz) / gib if gib else float("nan")
out = {}
print(f"fio nbd engine, {runtime}s per job after a warm-up, export {size}, raid5d: 4 members, {chunk} chunk, "
      f"members on tmpfs; {rounds} round(s), medians; CPU = server CPU seconds per GiB moved")
print("| workload | raid5d | nbdkit file | ratio | per round | target | raid5d CPU s/GiB | nbdkit CPU s/GiB |")
print("|---|---|---|---|---|---|---|---|")
for name in ["seqwrite", "seqread", "randread", "randwrite"]:
    rs = [result("raid5d", name, r) for r in range(1, rounds + 1)]
    ns = [result("nbdkit", name, r) for r in range(1, rounds + 1)]
    ratios = [a[0] / b[0] if b[0] else 0.0 for a, b in zip(rs, ns)]
    med = lambda xs: statistics.median(xs)
    r_bw, r_iops, r_cpu = (med([x[i] for x in rs]) for i in range(3))
    n_bw, n_iops, n_cpu = (med([x[i] for x in ns]) for i in range(3))
    ratio = med(ratios)
    fmt = (lambda bw, iops: f"{bw:.0f} MiB/s") if name.startswith("seq") else (lambda bw, iops: f"{iops:.0f} IOPS")
    print(f"| {titles[name]} | {fmt(r_bw, r_iops)} | {fmt(n_bw, n_iops)} | {ratio:.2f} | "
          f"{' '.join(f'{x:.2f}' for x in ratios)} | >= {targets[name]} | {r_cpu:.2f} | {n_cpu:.2f} |")
    out[name] = {"raid5d_MiBps": r_bw, "raid5d_iops": r_iops, "nbdkit_MiBps": n_bw, "nbdkit_iops": n_iops,
                 "ratio": ratio, "ratios": ratios, "raid5d_cpu_s_per_GiB": r_cpu, "nbdkit_cpu_s_per_GiB": n_cpu}
if json_out:
    json.dump(out, open(json_out, "w"), indent=2)
PY
