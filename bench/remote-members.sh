#!/usr/bin/env bash
# Members on other hosts against the same members local, in one run: four member files in tmpfs,
# first assembled by raid5d directly, then each exported by nbdkit (file plugin) from its own
# network namespace over a veth link and assembled by nbd:// URI. Same fio jobs (nbd engine, QD
# as bench/fio-compare.sh) against raid5d's export both times; prints MiB/s or IOPS, the ratio,
# and raid5d's CPU seconds per GiB. Bounded; removes every namespace, link and process it made.
#
# Usage: bench/remote-members.sh [--member-size 512M] [--runtime 8] [--warmup 10] [--raid5d-opts "..."]
#        (the client path needs its JIT warm-up; --raid5d-opts e.g. "--member-connections 1")
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
member_size=512M; runtime=8; warmup=10; raid5d_opts=""
while [ $# -gt 0 ]; do
    case "$1" in
        --member-size) member_size="$2"; shift 2 ;;
        --runtime) runtime="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --raid5d-opts) raid5d_opts="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "remote-members: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in fio nbdkit ip python3 java; do
    command -v "$tool" >/dev/null || { echo "remote-members: $tool is missing" >&2; exit 1; }
done
[ -f "$home/tools/target/raid5d-all.jar" ] || (cd "$home" && mvn -B -q -DskipTests package)

work="$(mktemp -d /dev/shm/raid5d-remote.XXXXXX)"
tag=$(( $$ % 200 ))
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for i in 0 1 2 3; do
        ip link del "r5bv${tag}n$i" 2>/dev/null || true
        ip netns del "r5b${tag}n$i" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

files=("$work/m0.img" "$work/m1.img" "$work/m2.img" "$work/m3.img")
"$home/bin/raid5" create --raid-devices 4 --chunk 512K --size "$member_size" --bitmap internal --assume-clean \
    --name bench "${files[@]}" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run_set() { # label members
    local label="$1" members="$2" pid
    # shellcheck disable=SC2086
    "$home/bin/raid5d" --listen "127.0.0.1:$port" --control "$work/$label.sock" $raid5d_opts --array "bench=$members" \
        >"$work/raid5d-$label.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 150); do grep -q "serving NBD" "$work/raid5d-$label.log" && break; sleep 0.2; done
    grep -q "serving NBD" "$work/raid5d-$label.log" || { cat "$work/raid5d-$label.log" >&2; exit 1; }
    local uri="nbd://127.0.0.1:$port/bench"
    local size=$(( $(nbdinfo --size "$uri") / 1048576 ))M
    for job in "seqwrite write 1M 16" "seqread read 1M 16" "randread randread 4k 32" "randwrite randwrite 4k 32"; do
        set -- $job
        fio --name="$1-warmup" --ioengine=nbd --uri="$uri" --rw="$2" --bs="$3" --iodepth="$4" --size="$size" \
            --runtime="$warmup" --time_based --randrepeat=0 >/dev/null
        local before; before=$(cpu_ticks "$pid")
        fio --name="$1" --ioengine=nbd --uri="$uri" --rw="$2" --bs="$3" --iodepth="$4" --size="$size" \
            --runtime="$runtime" --time_based --randrepeat=0 --output-format=json --output="$work/$label-$1.json" >/dev/null
        echo $(( $(cpu_ticks "$pid") - before )) >"$work/$label-$1.cpu"
    done
    kill -TERM "$pid"; wait "$pid" || true
}

echo "local: members are the tmpfs files" >&2
run_set local "$(IFS=,; echo "${files[*]}")"

echo "remote: each file behind nbdkit in its own network namespace" >&2
uris=()
for i in 0 1 2 3; do
    ns="r5b${tag}n$i"; link="r5bv${tag}n$i"; net="10.214.$(( tag % 50 * 4 + i ))"
    ip netns add "$ns"
    ip link add "$link" type veth peer name eth0 netns "$ns"
    ip addr add "$net.1/24" dev "$link"; ip link set "$link" up
    ip netns exec "$ns" ip addr add "$net.2/24" dev eth0
    ip netns exec "$ns" ip link set eth0 up; ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" nbdkit -f -i "$net.2" -p 10809 file "${files[$i]}" >"$work/nbdkit$i.log" 2>&1 &
    pids+=("$!")
    uris+=("nbd://$net.2:10809/")
done
for u in "${uris[@]}"; do
    for _ in $(seq 100); do nbdinfo --size "$u" >/dev/null 2>&1 && break; sleep 0.1; done
done
run_set remote "$(IFS=,; echo "${uris[*]}")"

python3 - "$work" "$runtime" "$member_size" "$(getconf CLK_TCK)" <<'PY'
import json, sys, os
work, runtime, member, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
titles = {"seqwrite": "1 MiB seq write, QD16", "seqread": "1 MiB seq read, QD16",
          "randread": "4 KiB rand read, QD32", "randwrite": "4 KiB rand write, QD32"}
def result(label, name):
    j = json.load(open(os.path.join(work, f"{label}-{name}.json")))["jobs"][0]
    side = j["write"] if "write" in name else j["read"]
    ticks = int(open(os.path.join(work, f"{label}-{name}.cpu")).read())
    gib = side["io_bytes"] / (1 << 30)
    return side["bw_bytes"] / (1 << 20), side["iops"], (ticks / hz) / gib if gib else float("nan")
print(f"fio nbd engine against raid5d, {runtime}s per job after a warm-up; 4 members of {member} in tmpfs, 512K chunk;"
      " remote = each member behind nbdkit in its own network namespace (veth)")
print("| workload | local members | remote members | remote / local | raid5d CPU s/GiB local / remote |")
print("|---|---|---|---|---|")
for name in ["seqwrite", "seqread", "randread", "randwrite"]:
    l, r = result("local", name), result("remote", name)
    fmt = (lambda x: f"{x[0]:.0f} MiB/s") if name.startswith("seq") else (lambda x: f"{x[1]:.0f} IOPS")
    ratio = r[0] / l[0] if l[0] else 0.0
    print(f"| {titles[name]} | {fmt(l)} | {fmt(r)} | {ratio:.2f} | {l[2]:.2f} / {r[2]:.2f} |")
PY
