#!/bin/bash
# md-run.sh GUEST_SCRIPT WORKDIR MEMBER_FILE...
#
# Runs one of our guest scripts (tools/src/test/kguest/guest/*.sh) in ../shared/kguest's Debian
# kernel (qemu, see ../shared/kguest/README.md) with the member files attached as virtio disks
# whose serials are member0, member1, ... in the order given: how the kernel's own md is put to
# work on members raid5d made. The guest script finds them with kg_disk_by_serial and gets
# MD_NDEV in /kguest/params.sh (guest/md-run-lib.sh, put in front of it, loads md and sets
# MEMBERS); what it writes to /results lands in WORKDIR/results.
#
# As md-degraded.sh does, the kguest scripts are copied to $KGUEST_DIR (default
# tools/target/kguest, shared with KernelNbdIT; a finished build there is reused).
# Env: KGUEST_SRC (default REPO/../shared/kguest), KGUEST_DIR, TIMEOUT (default 600 s).
# Exit status 0 = the guest script passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../../.." && pwd)
[ $# -ge 3 ] || { echo "usage: md-run.sh GUEST_SCRIPT WORKDIR MEMBER_FILE..." >&2; exit 2; }
SCRIPT=$1 WORK=$2; shift 2
KGUEST_SRC=${KGUEST_SRC:-$REPO/../shared/kguest}
KGUEST_DIR=${KGUEST_DIR:-$REPO/tools/target/kguest}
die() { echo "md-run: FAIL: $*" >&2; exit 1; }
[ -f "$SCRIPT" ] || die "no guest script $SCRIPT"
[ -f "$KGUEST_SRC/lib/host.sh" ] || die "no kguest at $KGUEST_SRC"
mkdir -p "$KGUEST_DIR" "$WORK"
WORK=$(cd "$WORK" && pwd)
tar -C "$KGUEST_SRC" --exclude=./out -cf - . | tar -C "$KGUEST_DIR" -xf - || die "copying kguest"
chmod -R u+w "$KGUEST_DIR"
cat "$HERE/guest/md-run-lib.sh" "$SCRIPT" > "$KGUEST_DIR/guest/tests/md-run.sh" || die "installing the guest script"
. "$KGUEST_DIR/lib/host.sh"
kg_ensure_built || die "kguest build"

drives=()
i=0
for f in "$@"; do
    [ -f "$f" ] || die "no member file $f"
    drives+=(-drive "file=$(cd "$(dirname "$f")" && pwd)/$(basename "$f"),if=none,id=m$i,format=raw,cache=writeback"
             -device "virtio-blk-pci,drive=m$i,serial=member$i")
    i=$((i+1))
done
echo "MD_NDEV=$i" > "$WORK/params.sh"
kg_run_guest md-run "$WORK" "${TIMEOUT:-600}" "${drives[@]}"; grc=$?
rm -f "$WORK/initrd.img" "$WORK/overlay.cpio.gz" "$WORK/results.img"; rm -rf "$WORK/overlay"
grep '^KGUEST-TIME:' "$WORK/console.log" | sed 's/^KGUEST-TIME: /  guest time: /'
[ $grc = 0 ] || die "guest run: ${KG_RESULT:-no result} (see $WORK/console.log)"
echo "md-run: PASS"
