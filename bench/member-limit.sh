#!/usr/bin/env bash
# raid5d on members capped like real disks / cloud volumes (issue 15: member I/O at the hardware's limit).
#
# Four backing files in /dev/shm become loop devices; a cgroup v1 blkio cgroup caps each loop
# device (blkio.throttle.{read,write}_{bps,iops}_device, default 125 MiB/s and 3000 IOPS each, a baseline gp3 volume
# way). raid5d (4 members, 512K chunk, internal bitmap, --sync-speed-max 0) runs inside that
# cgroup and first finishes the new array's initial resync (timed from its log); fio (nbd
# engine) runs outside it. Jobs: 1 MiB seq read / write at QD16, 4 KiB random
# read / write at QD32, each --warmup s unmeasured then --runtime s measured, caches dropped
# before each measured job; then a rebuild onto a fifth capped loop device (fail, remove, add,
# the recovery time the daemon logs; `raid5 detail` is polled until it no longer says degraded), after a
# 1 MiB seq read with that member failed (degraded: reconstructed from the other three); then an online
# grow to 5 members onto a sixth capped loop device (add, grow --raid-devices 5, the copy time the daemon
# logs; the array is created with --data-offset 8M so the data can move down). The same fio jobs then run against
# nbdkit's file plugin on ONE capped loop device in the same cgroup (what one member gives
# through NBD). The "limit" column is what 4 such members can deliver:
#   seq read 4 x bps, seq write 3 x bps (data members of a full stripe), 4K rand read 4 x iops,
#   4K rand write 2 x iops (read-modify-write: 2 reads + 2 writes per write; reads and writes
#   have separate caps, so 4 x iops reads / 2 and 4 x iops writes / 2), rebuild member / bps, grow member / bps
#   (every member writes its whole used size in the new geometry; the reads of the old rows have their own cap).
# Whatever a server reads or writes through the page cache (nbdkit's file plugin does; raid5d
# before 6412e91, or with --direct-io off) can beat the caps: cache hits, and writes left to the
# kernel's flusher (outside the cgroup, so cgroup v1 does not throttle it). The script reports what
# it measures, and per job how many bytes and I/Os the cgroup really sent to the loop devices.
# Extra raid5d options: RAID5D_OPTS="--direct-io off" bench/member-limit.sh ...
# Needs root, cgroup v1 blkio, losetup, fio, nbdkit, nbdinfo. Everything is undone on exit.
#
# Usage: bench/member-limit.sh [--runtime 10] [--warmup 3] [--size 384M] [--bps 125M]
#                              [--iops 3000] [--stripe-cache N] [--quick] [--json OUTFILE]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmdline="${RAID5D_OPTS:+RAID5D_OPTS=\"$RAID5D_OPTS\" }bench/member-limit.sh $*"
runtime=10; warmup=3; size=384M; bps=125M; iops=3000; json_out=""; base=/dev/shm; stripe_cache=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runtime) runtime="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --bps) bps="$2"; shift 2 ;;
        --iops) iops="$2"; shift 2 ;;
        --quick) runtime=3; warmup=1; size=128M; shift ;;
        --json) json_out="$2"; shift 2 ;;
        --stripe-cache) stripe_cache="$2"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "member-limit: unknown option $1" >&2; exit 2 ;;
    esac
done
die() { echo "member-limit: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (loop devices, cgroups, drop_caches)"
for tool in fio nbdkit nbdinfo losetup python3 java; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y fio nbdkit libnbd-bin python3)"
done
blkio=""
while read -r _ mnt fstype opts _; do
    if [ "$fstype" = cgroup ] && [[ ",$opts," == *,blkio,* ]]; then blkio="$mnt"; break; fi
done </proc/mounts
[ -n "$blkio" ] && [ -f "$blkio/blkio.throttle.read_bps_device" ] ||
    die "cgroup v1 blkio controller with throttling is not mounted (mount | grep cgroup); cannot cap the members"
losetup -f >/dev/null 2>&1 || die "no free loop device (losetup -f failed; is the loop module loaded?)"
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)

bytes() { python3 -c 'import sys
s=sys.argv[1].upper(); u={"K":1<<10,"M":1<<20,"G":1<<30,"T":1<<40}
print(int(s[:-1])*u[s[-1]] if s[-1] in u else int(s))' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
member_bytes=$(bytes "$size"); bps_bytes=$(bytes "$bps")

t0=$(date +%s.%N)
work="$(mktemp -d "$base/raid5d-limit.XXXXXX")"
cg="$blkio/raid5d-limit.$$"
pids=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ -d "$cg" ]; then
        # Anything still in the cgroup (nothing should be) goes back to the root before rmdir.
        while read -r t; do echo "$t" >"$blkio/cgroup.procs" 2>/dev/null || true; done <"$cg/cgroup.procs"
        rmdir "$cg" 2>/dev/null || echo "member-limit: could not remove $cg" >&2
    fi
    # Every loop device backed by one of our files (new_loop runs in $(...), so no list survives it).
    for f in "$work"/*.img; do
        [ -e "$f" ] || continue
        for l in $(losetup -j "$f" -O NAME -n 2>/dev/null); do
            losetup -d "$l" 2>/dev/null || echo "member-limit: could not detach $l" >&2
        done
    done
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$cg"
new_loop() { # name -> loop device, capped in the cgroup
    truncate -s "$member_bytes" "$work/$1.img"
    local l mm
    l=$(losetup -f --show "$work/$1.img")
    mm=$(cat "/sys/block/$(basename "$l")/dev")
    echo "$mm $bps_bytes" >"$cg/blkio.throttle.read_bps_device"
    echo "$mm $bps_bytes" >"$cg/blkio.throttle.write_bps_device"
    echo "$mm $iops" >"$cg/blkio.throttle.read_iops_device"
    echo "$mm $iops" >"$cg/blkio.throttle.write_iops_device"
    echo "$l"
}
m=(); for i in 0 1 2 3; do m+=("$(new_loop "m$i")"); done
spare=$(new_loop spare)
grower=$(new_loop grow)
peer=$(new_loop peer)
devs=$(for l in "${m[@]}" "$spare" "$grower" "$peer"; do cat "/sys/block/$(basename "$l")/dev"; done | tr '\n' ' ')
echo "members ${m[*]}, spare $spare, nbdkit's device $peer; cgroup $cg" >&2

# Does the throttle really apply? A direct read inside the cgroup, 2 s worth at the cap.
probe_mib=$(( 2 * bps_bytes >> 20 )); [ "$probe_mib" -gt $(( member_bytes >> 20 )) ] && probe_mib=$(( member_bytes >> 20 ))
probe=$(bash -c 'echo $$ >"$1/cgroup.procs"; exec dd if="$2" of=/dev/null bs=1M count="$3" iflag=direct 2>&1' _ "$cg" "$peer" "$probe_mib" |
    python3 -c 'import sys,re
t=sys.stdin.read(); m=re.search(r"(\d+) bytes.*copied, ([\d.]+) s", t)
print(f"{int(m.group(1))/float(m.group(2))/(1<<20):.0f}")')
echo "throttle check: O_DIRECT dd from $peer inside the cgroup: $probe MiB/s (cap $(( bps_bytes >> 20 )) MiB/s)" >&2

# Only in a background subshell (cmd &): replaces it, so $! is the server's own pid, and the server
# joins the cgroup before its first thread starts (threads inherit the cgroup).
cg_exec() { exec bash -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$cg" "$@"; }
cg_io() { # through the throttle so far, summed over our loop devices: bytes R W, I/Os R W; then bytes R W
    # submitted for them from the root cgroup (the kernel's flusher threads: writeback nobody throttles)
    local f
    for f in "$cg/blkio.throttle.io_service_bytes" "$cg/blkio.throttle.io_serviced" "$blkio/blkio.throttle.io_service_bytes"; do
        awk -v devs=" $devs " 'index(devs, " " $1 " ") && $2=="Read"{r+=$3} index(devs, " " $1 " ") && $2=="Write"{w+=$3}
            END{printf "%.0f %.0f ", r, w}' "$f"
    done
    echo
}
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# 8 MiB of data offset: room for the grow to 5 members to move the data down (2 MiB at 512K chunks)
"$home/bin/raid5" create --raid-devices 4 --chunk 512K --data-offset 8M --bitmap internal --name lim "${m[@]}" >/dev/null
p1=$(free_port); sock="$work/raid5d.sock"
# shellcheck disable=SC2086  # RAID5D_OPTS is a list of options
cg_exec "$home/bin/raid5d" --listen "127.0.0.1:$p1" --control "$sock" --sync-speed-max 0 ${RAID5D_OPTS:-} \
    --array "lim=$(IFS=,; echo "${m[*]}")" >"$work/raid5d.log" 2>&1 &
pids+=($!)
p2=$(free_port)
cg_exec nbdkit -f -i 127.0.0.1 -p "$p2" -e lim file "$peer" >"$work/nbdkit.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
    grep -q "serving NBD" "$work/raid5d.log" && nbdinfo --size "nbd://127.0.0.1:$p2/lim" >/dev/null 2>&1 && break
    sleep 0.2
done
grep -q "serving NBD" "$work/raid5d.log" || { cat "$work/raid5d.log" >&2; die "raid5d did not start"; }
for p in "${pids[@]}"; do grep -qx "$p" "$cg/cgroup.procs" || die "process $p is not in the cgroup"; done
mib_floor() { echo $(( $1 >> 20 ))M; }
size_r=$(mib_floor "$(nbdinfo --size "nbd://127.0.0.1:$p1/lim")")
r5() { "$home/bin/raid5" --control "$sock" "$@"; }
[ -z "$stripe_cache" ] || r5 stripe-cache lim "$stripe_cache" >/dev/null
# A new array resyncs first (as md's does); no job may run under it. Its time comes from the log.
echo "raid5d: initial resync" >&2
for _ in $(seq 1200); do r5 detail lim | grep -q "Resync Status" || break; sleep 0.2; done
r5 detail lim | grep -q "Resync Status" && die "the initial resync did not finish"
size_n=$(mib_floor "$(nbdinfo --size "nbd://127.0.0.1:$p2/lim")")

jobs=("seqread read 1M 16" "seqwrite write 1M 16" "randread randread 4k 32" "randwrite randwrite 4k 32")
fio_job() { # label uri size name rw bs qd seconds suffix
    fio --name="$4" --ioengine=nbd --uri="$2" --rw="$5" --bs="$6" --iodepth="$7" --size="$3" \
        --runtime="$8" --time_based --numjobs=1 --randrepeat=0 \
        --output-format=json --output="$work/$1-$4$9.json" >/dev/null
}
run_server() { # label port size
    local label="$1" uri="nbd://127.0.0.1:$2/lim" sz="$3" before after
    echo "$label: filling $sz" >&2
    fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=16 --size="$sz" \
        --output-format=json --output="$work/$label-fill.json" >/dev/null
    for j in "${jobs[@]}"; do
        set -- $j
        echo "$label: $1" >&2
        [ "$warmup" -gt 0 ] && fio_job "$label" "$uri" "$sz" "$1" "$2" "$3" "$4" "$warmup" -warmup
        drop_caches
        before=$(cg_io)
        fio_job "$label" "$uri" "$sz" "$1" "$2" "$3" "$4" "$runtime" ""
        after=$(cg_io)
        echo "$before $after" >"$work/$label-$1.cgio"
    done
}
run_server raid5d "$p1" "$size_r"

echo "raid5d: seqread, degraded (${m[1]} failed)" >&2
r5 fail lim "${m[1]}" >/dev/null
uri1="nbd://127.0.0.1:$p1/lim"
[ "$warmup" -gt 0 ] && fio_job raid5d "$uri1" "$size_r" seqread read 1M 16 "$warmup" -degraded-warmup
drop_caches
before=$(cg_io)
fio_job raid5d "$uri1" "$size_r" seqread read 1M 16 "$runtime" -degraded
after=$(cg_io)
echo "$before $after" >"$work/raid5d-seqread-degraded.cgio"

echo "raid5d: rebuild onto $spare" >&2
drop_caches
r5 remove lim "${m[1]}" >/dev/null
before=$(cg_io)
start=$(date +%s.%N)
r5 add lim "$spare" >/dev/null
limit_s=$(( member_bytes / bps_bytes ))
deadline=$(( $(date +%s) + 20 * limit_s + 120 ))
rebuilt=yes
while :; do
    r5 detail lim >"$work/detail.txt" 2>&1 || { cat "$work/detail.txt" >&2; rebuilt=no; break; }
    grep -Eq 'degraded|recovering' "$work/detail.txt" || break
    [ "$(date +%s)" -lt "$deadline" ] || { rebuilt=no; break; }
    sleep 0.1
done
end=$(date +%s.%N)
after=$(cg_io)
echo "$before $after" >"$work/raid5d-rebuild.cgio"
r5 detail lim >"$work/detail-after.txt" 2>&1 || true

echo "raid5d: grow to 5 members onto $grower" >&2
drop_caches
r5 add lim "$grower" >/dev/null
before=$(cg_io)
gstart=$(date +%s.%N)
r5 grow lim --raid-devices 5 >/dev/null
grown=yes
deadline=$(( $(date +%s) + 30 * limit_s + 120 ))
while :; do
    r5 detail lim >"$work/detail-grow.txt" 2>&1 || { cat "$work/detail-grow.txt" >&2; grown=no; break; }
    grep -q 'reshaping' "$work/detail-grow.txt" || break
    [ "$(date +%s)" -lt "$deadline" ] || { grown=no; break; }
    sleep 0.1
done
gend=$(date +%s.%N)
after=$(cg_io)
echo "$before $after" >"$work/raid5d-grow.cgio"
grep -q "Raid Devices : 5" "$work/detail-grow.txt" || grown=no
run_server nbdkit "$p2" "$size_n"
t1=$(date +%s.%N)

RAID5D_REV="$(git -C "$home" log -1 --format=%h 2>/dev/null || echo '?')" python3 - "$work" "$json_out" "$cmdline" "$runtime" "$warmup" "$member_bytes" "$bps_bytes" "$iops" \
    "$start" "$end" "$rebuilt" "$probe" "$size_r" "$size_n" "$t0" "$t1" "$gstart" "$gend" "$grown" <<'PY'
import json, os, sys
(work, json_out, cmdline, runtime, warmup, member, bps, iops, start, end, rebuilt, probe,
 size_r, size_n, t0, t1, gstart, gend, grown) = sys.argv[1:20]
member, bps, iops = int(member), int(bps), int(iops)
MiB = 1 << 20
bw = bps / MiB
titles = {"seqread": "1 MiB seq read, QD16", "seqwrite": "1 MiB seq write, QD16",
          "randread": "4 KiB rand read, QD32", "randwrite": "4 KiB rand write, QD32"}
limit4 = {"seqread": (4 * bw, 4 * bw), "seqwrite": (3 * bw, 3 * bw),
          "randread": (4 * iops * 4096 / MiB, 4 * iops), "randwrite": (2 * iops * 4096 / MiB, 2 * iops)}
limit1 = {"seqread": (bw, bw), "seqwrite": (bw, bw),
          "randread": (iops * 4096 / MiB, iops), "randwrite": (iops * 4096 / MiB, iops)}
def res(label, name):
    j = json.load(open(os.path.join(work, f"{label}-{name}.json")))["jobs"][0]
    side = j["write"] if "write" in name else j["read"]
    return side["bw_bytes"] / MiB, side["iops"]
def cgio_full(label, name):
    a = list(map(int, open(os.path.join(work, f"{label}-{name}.cgio")).read().split()))
    return [(a[6 + i] - a[i]) for i in range(6)]  # bytes R, bytes W, I/Os R, I/Os W; root cgroup bytes R, W
def cgio(label, name):
    r, w = cgio_full(label, name)[:2]
    return r / MiB, w / MiB
def cell(bwv, io, name):
    # the figure that is capped first, then the other
    return f"{bwv:.0f} MiB/s ({io:.0f} IOPS)" if name.startswith("seq") else f"{io:.0f} IOPS ({bwv:.1f} MiB/s)"
def throttled(label, name):
    r, w = cgio(label, name)
    return f"{r:.0f} R / {w:.0f} W"
out = {"command": cmdline, "runtime": int(runtime), "bps": bps, "iops": iops, "member_bytes": member}
print(f"`{cmdline}` (raid5d at {os.environ.get('RAID5D_REV', '?')})")
print()
print(f"Members: 4 loop devices on {member // MiB} MiB files in /dev/shm, each capped by cgroup v1 blkio at "
      f"{bw:.0f} MiB/s and {iops} IOPS per direction (O_DIRECT dd inside the cgroup: {probe} MiB/s). "
      f"raid5d: 512K chunk, internal bitmap, export {size_r}; nbdkit file plugin on one capped loop device, "
      f"export {size_n}. fio nbd engine outside the cgroup, {warmup} s warm-up then {runtime} s per job, "
      f"caches dropped before each measured job.")
print()
print("| job | raid5d | limit of 4 such members | raid5d / limit | nbdkit on one member | limit of one member | MiB through the throttle during the job (raid5d; nbdkit) |")
print("|---|---|---|---|---|---|---|")
for name in ["seqread", "seqwrite", "randread", "randwrite"]:
    rb, ri = res("raid5d", name); nb, ni = res("nbdkit", name)
    lb, li = limit4[name]; ob, oi = limit1[name]
    ratio = ri / li
    print(f"| {titles[name]} | {cell(rb, ri, name)} | {cell(lb, li, name)} | {ratio:.2f} | {cell(nb, ni, name)} | "
          f"{cell(ob, oi, name)} | {throttled('raid5d', name)}; {throttled('nbdkit', name)} |")
    out[name] = {"raid5d_MiBps": rb, "raid5d_iops": ri, "limit_MiBps": lb, "limit_iops": li,
                 "nbdkit_MiBps": nb, "nbdkit_iops": ni, "raid5d_cgroup_MiB_rw": cgio("raid5d", name),
                 "nbdkit_cgroup_MiB_rw": cgio("nbdkit", name)}
db, di = res("raid5d", "seqread-degraded")
hb, _ = res("raid5d", "seqread")
print(f"| 1 MiB seq read, QD16, degraded (one member failed) | {cell(db, di, 'seq')} | {cell(3 * bw, 3 * bw, 'seq')} "
      f"(3 members left) | {db / (3 * bw):.2f} (healthy: {db / hb:.2f}) | n/a | n/a | {throttled('raid5d', 'seqread-degraded')}; n/a |")
out["seqread_degraded"] = {"raid5d_MiBps": db, "limit_MiBps": 3 * bw, "of_healthy": db / hb,
                           "raid5d_cgroup_MiB_rw": cgio("raid5d", "seqread-degraded")}
polled = float(end) - float(start)
lim_s = member / bps
rr, rw = cgio("raid5d", "rebuild")
# the daemon's own figure: "array lim: recovery finished at sector N, counted C (M MiB per member in S s: ...)"
import re
logged = [float(x) for x in re.findall(r"recovery finished at sector \d+, counted \d+ \([\d.]+ MiB per member in ([\d.]+) s",
                                        open(os.path.join(work, "raid5d.log")).read())]
secs = logged[-1] if logged and rebuilt == "yes" else polled
resync = [float(x) for x in re.findall(r"resync finished: \d+ of \d+ member sectors needed it, \d+ sectors of parity "
                                        r"rewritten \([\d.]+ MiB per member in ([\d.]+) s", open(os.path.join(work, "raid5d.log")).read())]
if resync:
    print(f"| initial resync of 4 members of {member // MiB} MiB (before the jobs) | {resync[0]:.2f} s ({member / resync[0] / MiB:.0f} MiB/s) "
          f"| {lim_s:.2f} s ({bw:.0f} MiB/s) | {lim_s / resync[0]:.2f} | n/a | n/a | n/a |")
    out["resync"] = {"seconds": resync[0], "limit_seconds": lim_s}
if rebuilt == "yes":
    rcell = f"{secs:.2f} s ({member / secs / MiB:.0f} MiB/s)"
else:
    rcell = f"not finished after {secs:.0f} s"
print(f"| rebuild of a {member // MiB} MiB member | {rcell} | {lim_s:.2f} s ({bw:.0f} MiB/s) | {lim_s / secs:.2f} | n/a | n/a | {rr:.0f} R / {rw:.0f} W; n/a |")
out["rebuild"] = {"seconds": secs, "seconds_polled": polled, "finished": rebuilt == "yes", "limit_seconds": lim_s,
                  "cgroup_MiB_rw": [rr, rw]}
# the grow: "array lim: grow copied to the end at array sector N (M MiB in S s: ...)"; each of the 5 members
# writes its whole used size (md writes the new rows past the old end too), so the write cap bounds it
gpolled = float(gend) - float(gstart)
glogged = [float(x) for x in re.findall(r"grow copied to the end at array sector \d+ \([\d.]+ MiB in ([\d.]+) s",
                                         open(os.path.join(work, "raid5d.log")).read())]
gsecs = glogged[-1] if glogged and grown == "yes" else gpolled
gr, gw = cgio("raid5d", "grow")
gcell = f"{gsecs:.2f} s ({member / gsecs / MiB:.0f} MiB/s per member)" if grown == "yes" else f"not finished after {gsecs:.0f} s"
print(f"| grow from 4 to 5 members of {member // MiB} MiB (online, idle) | {gcell} | {lim_s:.2f} s ({bw:.0f} MiB/s) | "
      f"{lim_s / gsecs:.2f} | n/a | n/a | {gr:.0f} R / {gw:.0f} W; n/a |")
out["grow"] = {"seconds": gsecs, "seconds_polled": gpolled, "finished": grown == "yes", "limit_seconds": lim_s,
               "cgroup_MiB_rw": [gr, gw]}
print()
print("What went through the throttle (I/O the cgroup submitted to the loop devices, summed over them; page-cache hits "
      "and writes flushed later by the kernel's flusher threads are not in it):")
print()
print("| job | server | MiB read | reads | avg read KiB | MiB written | writes | avg write KiB | MiB written by the flusher, unthrottled |")
print("|---|---|---|---|---|---|---|---|---|")
rows = [(n, l) for n in ["seqread", "seqwrite", "randread", "randwrite"] for l in ["raid5d", "nbdkit"]] + [
    ("seqread-degraded", "raid5d"), ("rebuild", "raid5d"), ("grow", "raid5d")]
titles["seqread-degraded"] = "1 MiB seq read, QD16, degraded"
for name, label in rows:
    rb_, wb_, rn, wn, _, fw = cgio_full(label, name)
    avg = lambda b, n: f"{b / n / 1024:.0f}" if n else "-"
    print(f"| {titles.get(name, name)} | {label} | {rb_ / MiB:.0f} | {rn} | {avg(rb_, rn)} | {wb_ / MiB:.0f} | {wn} | {avg(wb_, wn)} | {fw / MiB:.0f} |")
print()
print(f"raid5d / limit: measured over the limit's figure (IOPS; for seq jobs MiB/s = IOPS x 1 MiB). 4 KiB rand "
      f"write's limit is 2 x {iops}: each write is 2 reads + 2 writes, and reads and writes are capped separately "
      f"({iops} each per member; with one shared budget it would be {iops}). Degraded seq read: the failed member's "
      f"data is reconstructed from the other 3, so 3 members' bandwidth is the limit; 'healthy' is over the healthy "
      f"seq read above. Rebuild: limit time / measured time, the time the daemon logs for the recovery sweep (polling "
      f"`raid5 detail` until it no longer said degraded took {polled:.1f} s, JVM starts included); its limit counts "
      f"bandwidth only (at {iops} IOPS a member moves {iops * 4096 / MiB:.1f} MiB/s in 4 KiB I/Os). Whole run: "
      f"{float(t1) - float(t0):.0f} s.")
if json_out:
    json.dump(out, open(json_out, "w"), indent=2)
PY
