#!/usr/bin/env bash
# Where raid5d's time goes under one fio job: a JFR recording of the measured run, drawn as a
# flame graph (bench/flamegraph.py) with a summary of the hottest frames and threads.
#
# Same setup as bench/fio-compare.sh (4 members in tmpfs, 512K chunk, internal bitmap, fio's nbd
# engine); the export is filled first, then the job runs --warmup seconds unrecorded and
# --runtime seconds recorded (JFR's profile settings, Java and native method samples every 1 ms). JFR does not see kernel time inside a system call; that shows as the native frame
# that made it (pread0, sendfile0, epollWait...). Bounded; stops everything it started.
#
# Usage: bench/profile.sh --job seqread|seqwrite|randread|randwrite [--runtime 10] [--warmup 3]
#                         [--array-size 1536M] [--out docs/perf/NAME] [--raid5d-opts "..."]
# Writes OUT.svg (flame graph), OUT.txt (summary and fio's figures) and OUT.jfr (the recording).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
job=""; runtime=10; warmup=3; array_size=1536M; out=""; raid5d_opts=""
while [ $# -gt 0 ]; do
    case "$1" in
        --job) job="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --array-size) array_size="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --raid5d-opts) raid5d_opts="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "profile: unknown option $1" >&2; exit 2 ;;
    esac
done
case "$job" in
    seqread) rw=read; bs=1M; qd=16 ;;
    seqwrite) rw=write; bs=1M; qd=16 ;;
    randread) rw=randread; bs=4k; qd=32 ;;
    randwrite) rw=randwrite; bs=4k; qd=32 ;;
    *) echo "profile: --job seqread|seqwrite|randread|randwrite" >&2; exit 2 ;;
esac
out="${out:-$home/docs/perf/$job}"
mkdir -p "$(dirname "$out")"
for tool in fio jcmd python3 jfr; do
    command -v "$tool" >/dev/null || { echo "profile: $tool is missing" >&2; exit 1; }
done
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)

work="$(mktemp -d /dev/shm/raid5d-profile.XXXXXX)"
pid=""
cleanup() {
    [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

total=$(python3 -c 'import sys; s=sys.argv[1].upper(); print(int(s[:-1]) << {"M":20,"G":30}[s[-1]])' "$array_size")
member=$(( total / 3 ))
"$home/bin/raid5" create --raid-devices 4 --chunk 512K --size "$(( member / 1024 ))K" --bitmap internal \
    --name bench "$work/m0.img" "$work/m1.img" "$work/m2.img" "$work/m3.img" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# shellcheck disable=SC2086
"$home/bin/raid5d" --listen "127.0.0.1:$port" --control "$work/raid5d.sock" $raid5d_opts \
    --array "bench=$work/m0.img,$work/m1.img,$work/m2.img,$work/m3.img" >"$work/raid5d.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "serving NBD" "$work/raid5d.log" && break; sleep 0.2; done
grep -q "serving NBD" "$work/raid5d.log" || { cat "$work/raid5d.log" >&2; exit 1; }
uri="nbd://127.0.0.1:$port/bench"
size=$(( member / (1 << 20) * 3 ))M
fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=16 --size="$size" >/dev/null
fio_job() { # name seconds output
    fio --name="$1" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$qd" --size="$size" \
        --runtime="$2" --time_based --randrepeat=0 --output-format=normal --output="$3" >/dev/null
}
fio_job warmup "$warmup" "$work/warmup.txt"
# JFR's profile settings, sampling every 1 ms instead of 10/20 ms: enough samples in a short run
jfc="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc"
sed -e '/"jdk.ExecutionSample"/,/<\/event>/s/[0-9]* ms/1 ms/' -e '/"jdk.NativeMethodSample"/,/<\/event>/s/[0-9]* ms/1 ms/' \
    "$jfc" >"$work/sampling.jfc"
jcmd "$pid" JFR.start name=profile settings="$work/sampling.jfc" >/dev/null
fio_job "$job" "$runtime" "$work/fio.txt"
jcmd "$pid" JFR.stop name=profile filename="$out.jfr" >/dev/null
{
    echo "bench/profile.sh --job $job --runtime $runtime (raid5d $(git -C "$home" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%F))"
    grep -E "^ +(read|write):" "$work/fio.txt" || true
    echo
    python3 "$home/bench/flamegraph.py" "$out.jfr" "$out.svg" --exclude-idle \
        --title "raid5d, fio $job ($rw $bs QD$qd), ${runtime}s"
} | tee "$out.txt"
