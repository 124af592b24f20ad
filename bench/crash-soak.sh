#!/usr/bin/env bash
# kill -9 soak (issue #13): writes through NBD, SIGKILL of raid5d at a random moment, restart,
# verify every sector, repeat; then a clean stop and `raid5 check --offline`.
#
# An array of MEMBERS member files (chunk 64K, internal bitmap) is served by bin/raid5d on
# 127.0.0.1:PORT. Each cycle: start raid5d, wait for "serving NBD on 127.0.0.1:PORT", run
# bench/crash_soak.py (libnbd's Python binding: it verifies the whole array against the journal
# of the previous cycle, then writes -- 32 in flight, 512 B to 256 KiB at 512-aligned offsets,
# FUA and FLUSH mixed in -- journaling submissions, acknowledgements and flushes), kill the
# raid5d java process with SIGKILL after a random delay, let the client notice. After the last
# cycle: restart, verify, wait for the resync, SIGTERM (exit 0 expected), check --offline (0
# mismatched sectors expected). A sector is TORN when it is neither zeros nor an intact sector
# of a write submitted for it, LOST when a durable write (FUA-acknowledged, or acknowledged
# before a completed flush) is newer than what it holds. Exit 0 only if none was found.
#
# Usage: bench/crash-soak.sh [--cycles 100] [--dir DIR] [--seed S] [--members 4] [--size 64M]
#        [--port P] [--kill-after MIN_MS-MAX_MS (200-2000)] [--min-write 512] [--max-write 262144] (bytes)
#        [--depth 32 (writes in flight)] [--stripe-cache HEADS (set after each start; a small cache, e.g. 17,
#        makes requests wait for heads half attached)]
#   --size is the space used per member (as `raid5 create --size`); the array is (MEMBERS-1) x SIZE.
#   --dir keeps the members, logs and journals there (must not exist or be empty); without it a
#   temporary directory is used and removed unless the run failed.
# Last line: crash-soak: result=PASS|FAIL cycles=.. kills=.. writes=.. ... wall_seconds=..
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cycles=100; dir=""; seed=""; members=4; size=64M; port=""; kill_after=200-2000; min_write=512; max_write=$((256 * 1024)); depth=32; stripe_cache=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --members) members="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --kill-after) kill_after="$2"; shift 2 ;;
        --min-write) min_write="$2"; shift 2 ;;
        --max-write) max_write="$2"; shift 2 ;;
        --depth) depth="$2"; shift 2 ;;
        --stripe-cache) stripe_cache="$2"; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "crash-soak: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ "$kill_after" =~ ^([0-9]+)-([0-9]+)$ ]] || { echo "crash-soak: --kill-after wants MIN_MS-MAX_MS" >&2; exit 2; }
kill_min=${BASH_REMATCH[1]}; kill_max=${BASH_REMATCH[2]}
[ "$kill_max" -ge "$kill_min" ] || { echo "crash-soak: --kill-after: MAX < MIN" >&2; exit 2; }
[ -n "$seed" ] || seed=$(( $(date +%s) % 100000 ))
RANDOM=$seed   # the kill delays follow the seed too

py=""
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import nbd' 2>/dev/null; then py="$candidate"; break; fi
done
[ -n "$py" ] || { echo "crash-soak: no python3 with libnbd's binding (apt-get install python3-libnbd)" >&2; exit 2; }
command -v java >/dev/null || { echo "crash-soak: java is missing" >&2; exit 2; }
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)
[ -n "$port" ] || port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

keep=1
if [ -z "$dir" ]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/raid5d-crash-soak.XXXXXX")"; keep=0
else
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || { echo "crash-soak: $dir is not empty" >&2; exit 2; }
fi
dir="$(cd "$dir" && pwd)"
mkdir -p "$dir/state" "$dir/logs"
sock="$dir/control.sock"
member_files=(); for ((i = 0; i < members; i++)); do member_files+=("$dir/m$i.img"); done
member_list="$(IFS=,; echo "${member_files[*]}")"

pid=""; jpid=""; cpid=""; result=FAIL
cleanup() {   # only what this script started, by pid
    [ -n "$cpid" ] && { kill -KILL "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true; }
    [ -n "$pid" ] && { kill -KILL "$jpid" "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    if [ "$keep" = 0 ]; then
        if [ "$result" = PASS ]; then rm -rf "$dir"; else echo "crash-soak: kept $dir for inspection" >&2; fi
    fi
}
trap cleanup EXIT
fail() { echo "crash-soak: $*" >&2; exit 1; }

# The pid of the java process serving: bin/raid5d execs java (launch.sh), but look in case a wrapper stays.
java_pid() {
    local p="$1" c
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'raid5d-all\.jar'; then echo "$p"; return; fi
    for c in $(pgrep -P "$p" 2>/dev/null); do
        if tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q 'raid5d-all\.jar'; then echo "$c"; return; fi
    done
    return 1
}

start_daemon() {   # $1: log file
    local log="$1"
    "$home/bin/raid5d" --listen "127.0.0.1:$port" --control "$sock" --array "soak=$member_list" >"$log" 2>&1 </dev/null &
    pid=$!
    for ((t = 0; t < 600; t++)); do
        grep -qs "serving NBD on 127.0.0.1:$port" "$log" && break
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "raid5d exited before serving (log: $log)"; }
        sleep 0.1
    done
    grep -q "serving NBD on 127.0.0.1:$port" "$log" || { cat "$log" >&2; fail "raid5d did not serve within 60 s"; }
    jpid=$(java_pid "$pid") || fail "no java process of raid5d under pid $pid"
    if [ -n "$stripe_cache" ]; then
        "$home/bin/raid5" --control "$sock" stripe-cache soak "$stripe_cache" >/dev/null || fail "stripe-cache $stripe_cache refused"
    fi
}

client() {   # crash_soak.py with the run's settings and ARGS
    "$py" "$home/bench/crash_soak.py" --uri "nbd://127.0.0.1:$port/soak" --state-dir "$dir/state" \
        --seed "$seed" --depth "$depth" --min-write "$min_write" --max-write "$max_write" "$@"
}

field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1" | tail -1; }   # field LINE KEY: KEY's value in LINE

t_start=$(date +%s%N)
echo "crash-soak: $cycles cycles, seed $seed, $members members of $size, port $port, kill after ${kill_min}-${kill_max} ms," \
    "writes $min_write-$max_write bytes, $depth in flight${stripe_cache:+, stripe cache $stripe_cache}, dir $dir"
"$home/bin/raid5" create --raid-devices "$members" --chunk 64K --size "$size" --bitmap internal --name soak \
    "${member_files[@]}" >"$dir/logs/create.log" 2>&1 || { cat "$dir/logs/create.log" >&2; fail "create failed"; }

kills=0; bad_cycles=0
for ((cycle = 1; cycle <= cycles; cycle++)); do
    start_daemon "$dir/logs/raid5d-$(printf %04d "$cycle").log"
    ready="$dir/state/ready"; rm -f "$ready"
    out="$dir/logs/client-$(printf %04d "$cycle").log"
    client --cycle "$cycle" --ready-file "$ready" >"$out" 2>&1 &
    cpid=$!
    for ((t = 0; t < 3000; t++)); do
        [ ! -e "$ready" ] && kill -0 "$cpid" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$ready" ] || { cat "$out" >&2; fail "cycle $cycle: the client did not start writing"; }
    delay_ms=$(( kill_min + (RANDOM * 32768 + RANDOM) % (kill_max - kill_min + 1) ))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -0 "$cpid" 2>/dev/null || { cat "$out" >&2; fail "cycle $cycle: the client stopped before the kill"; }
    kill -KILL "$jpid"
    kills=$((kills + 1))
    wait "$pid" 2>/dev/null || true; pid=""
    crc=0; wait "$cpid" || crc=$?; cpid=""
    [ "$crc" -le 1 ] || { cat "$out" >&2; fail "cycle $cycle: client error (exit $crc)"; }
    [ "$crc" = 0 ] || bad_cycles=$((bad_cycles + 1))
    grep -E '^(TORN|LOST) ' "$out" | head -5 || true
    v="$(grep '^verify ' "$out" || true)"; w="$(grep '^write ' "$out" || true)"
    printf 'cycle %d/%d: restarted, checked %s sectors: torn %s lost %s (newer than durable %s) | wrote %s requests, %s acked (%s FUA), %s flushes, %s MiB | kill -9 after %d ms\n' \
        "$cycle" "$cycles" "$(field "$v" checked)" "$(field "$v" torn)" "$(field "$v" lost)" "$(field "$v" ok_newer)" \
        "$(field "$w" submitted)" "$(field "$w" acked)" "$(field "$w" fua_acked)" "$(field "$w" flushes)" "$(field "$w" mib)" "$delay_ms"
done

# Last: restart, verify what the last kill left, let the resync finish, stop cleanly, check parity.
start_daemon "$dir/logs/raid5d-final.log"
out="$dir/logs/client-final.log"
crc=0; client --cycle $((cycles + 1)) --verify-only >"$out" 2>&1 || crc=$?
[ "$crc" -le 1 ] || { cat "$out" >&2; fail "final verification: client error (exit $crc)"; }
[ "$crc" = 0 ] || bad_cycles=$((bad_cycles + 1))
grep -E '^(TORN|LOST) ' "$out" | head -5 || true
v="$(grep '^verify ' "$out" || true)"
echo "final: verified $(field "$v" checked) sectors: torn $(field "$v" torn) lost $(field "$v" lost) (newer than durable $(field "$v" ok_newer))"
synced=0
for ((t = 0; t < 600; t++)); do
    json="$("$home/bin/raid5" --control "$sock" detail soak --json 2>/dev/null || true)"
    if grep -q '"running":false' <<<"$json" && grep -q '"percent":100.0' <<<"$json"; then synced=1; break; fi
    sleep 0.5
done
[ "$synced" = 1 ] || echo "crash-soak: the resync did not finish within 300 s: $json" >&2
kill -TERM "$pid"
stop_rc=0; wait "$pid" || stop_rc=$?; pid=""
check="$("$home/bin/raid5" check --offline "${member_files[@]}" 2>&1 || true)"
echo "$check" >"$dir/logs/check.log"
mismatches="$(sed -n 's/.* \([0-9][0-9]*\) mismatched sectors.*/\1/p' <<<"$check" | head -1)"
t_end=$(date +%s%N)

totals="$(grep '^totals ' "$out" | tail -1)"
torn=$(field "$totals" torn); lost=$(field "$totals" lost)
if [ "$torn" = 0 ] && [ "$lost" = 0 ] && [ "$bad_cycles" = 0 ] && [ "$stop_rc" = 0 ] && [ "$synced" = 1 ] \
        && [ "$mismatches" = 0 ] && [ "$kills" = "$cycles" ]; then
    result=PASS
fi
[ "$stop_rc" = 0 ] || echo "crash-soak: raid5d exited $stop_rc on SIGTERM (log: $dir/logs/raid5d-final.log)" >&2
[ "$mismatches" = 0 ] || echo "crash-soak: check --offline: $check" >&2
printf 'crash-soak: result=%s cycles=%d kills=%d writes=%s acked=%s fua_acked=%s flushes=%s mib_written=%s sectors_checked=%s torn=%s lost=%s mismatches=%s stop_exit=%d seed=%s wall_seconds=%d\n' \
    "$result" "$cycles" "$kills" "$(field "$totals" writes)" "$(field "$totals" acked)" "$(field "$totals" fua_acked)" \
    "$(field "$totals" flushes)" "$(( $(field "$totals" bytes_written) / 1048576 ))" "$(field "$totals" sectors_checked)" \
    "$torn" "$lost" "${mismatches:-?}" "$stop_rc" "$seed" $(( (t_end - t_start) / 1000000000 ))
[ "$result" = PASS ]
