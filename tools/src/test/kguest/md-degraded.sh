#!/bin/bash
# md-degraded.sh [OUTDIR]
#
# Builds the fixture tools/src/test/resources/fixtures/kernel-degraded (the default OUTDIR):
# a DEGRADED md RAID-5 made by the real Linux md driver.  It boots ../shared/kguest's Debian
# 6.1 kernel in qemu (see ../shared/kguest/README.md) and runs our guest script
# guest/md-degraded.sh there:
#   4 x 16 MiB members, mdadm --create --level=5 --chunk=64 --bitmap=internal --bitmap-chunk=1M
#   --assume-clean; pattern A over the whole array; mdadm --fail of role 1 (left attached as
#   faulty); pattern B over 3 regions while degraded; mdadm --stop.
# Then, on the host: mdadm --examine of every member (role 1 must have older events, the
# others must record role 1's device as faulty), ../shared/kguest/lib/mdref.py verify
# --missing 1 against the expected bytes (A with the B regions), and it writes
#   OUTDIR/members.tar.xz      member0.img..member3.img (memberK has role K)
#   OUTDIR/fixture.properties  parameters, events, regions, sha256s, mdadm commands
#   OUTDIR/mdadm/              what mdadm printed in the guest and on the host
# OUTDIR/README.md is not written here (it is maintained by hand).
#
# shared/ is read-only and kguest builds into out/ next to its scripts, so the kguest scripts
# are copied to $KGUEST_DIR (default tools/target/kguest, as KernelNbdIT does; a finished
# build there is reused) and our guest script is put among its guest tests.
# Env: KGUEST_SRC (default REPO/../shared/kguest)  KGUEST_DIR (default REPO/tools/target/kguest)
#      WORK (default: a new /tmp/kdeg.XXXXXX; kept, holds console.log and the raw results)
#      REGIONS="OFFSET:LENGTH ..." (bytes, default 3 x 256 KiB at 1 MiB, 20 MiB+12 KiB, 40 MiB+100 KiB)
#      TIMEOUT=600 for the guest run.  Exit status 0 = fixture written and checked.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../../.." && pwd)
OUTDIR=${1:-$REPO/tools/src/test/resources/fixtures/kernel-degraded}
KGUEST_SRC=${KGUEST_SRC:-$REPO/../shared/kguest}
KGUEST_DIR=${KGUEST_DIR:-$REPO/tools/target/kguest}
REGIONS=${REGIONS:-1048576:262144 20983808:262144 42045440:262144}
NDEV=4 MIB=16 FAIL_ROLE=1 NAME=kdeg
T0=$(date +%s)

die() { echo "md-degraded: FAIL: $*" >&2; exit 1; }

# ---- kguest copy (scripts only, timestamps kept so a finished build stays valid)
[ -f "$KGUEST_SRC/lib/host.sh" ] || die "no kguest at $KGUEST_SRC"
mkdir -p "$KGUEST_DIR"
tar -C "$KGUEST_SRC" --exclude=./out -cf - . | tar -C "$KGUEST_DIR" -xf - || die "copying kguest"
chmod -R u+w "$KGUEST_DIR"
install -m 0644 "$HERE/guest/md-degraded.sh" "$KGUEST_DIR/guest/tests/md-degraded.sh"
. "$KGUEST_DIR/lib/host.sh"
MDREF=$KGUEST_DIR/lib/mdref.py
kg_ensure_built || die "kguest build"
command -v mdadm >/dev/null || die "host mdadm needed (apt-get install mdadm)"
command -v xz >/dev/null || die "xz needed"

WORK=${WORK:-$(mktemp -d /tmp/kdeg.XXXXXX)}
mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd)
kg_log "work dir $WORK"
rm -rf "$WORK/guest" "$WORK"/member*.img

# ---- patterns (whole array size upper bound: 3 x 16 MiB; the guest uses md0's size)
PSIZE=$(( (NDEV - 1) * MIB * 1048576 ))
python3 "$MDREF" gen "$WORK/pattern-a.bin" "$PSIZE" --mode compressible || die "pattern A"
# pattern B: the same 64-byte header, filler byte ((i*131+7) & 0xff) ^ 0xff (never A's)
python3 - "$MDREF" "$WORK/pattern-b.bin" "$PSIZE" <<'PY' || die "pattern B"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mdref", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
with open(sys.argv[2], "wb") as f:
    for i in range(int(sys.argv[3]) // m.BLOCK):
        f.write(m.block_header(i) + bytes((m.fill_byte(i) ^ 0xFF,)) * (m.BLOCK - m.HDR))
PY

drives=()
for ((i = 0; i < NDEV; i++)); do
    truncate -s "${MIB}M" "$WORK/member$i.img"
    drives+=(-drive "file=$WORK/member$i.img,if=none,id=m$i,format=raw,cache=writeback"
             -device "virtio-blk-pci,drive=m$i,serial=member$i")
done
for p in a b; do
    drives+=(-drive "file=$WORK/pattern-$p.bin,if=none,id=p$p,format=raw,readonly=on"
             -device "virtio-blk-pci,drive=p$p,serial=pattern-$p")
done
cat > "$WORK/params.sh" <<P
MD_NDEV=$NDEV
MD_CHUNK_K=64
MD_BITMAP_CHUNK=1M
MD_NAME=$NAME
MD_HOMEHOST=kguest
FAIL_ROLE=$FAIL_ROLE
REGIONS="$REGIONS"
P
kg_run_guest md-degraded "$WORK" "${TIMEOUT:-600}" "${drives[@]}"; grc=$?
rm -rf "$WORK/guest"; mv "$WORK/results" "$WORK/guest" 2>/dev/null
rm -f "$WORK/initrd.img" "$WORK/overlay.cpio.gz" "$WORK/results.img"; rm -rf "$WORK/overlay"
grep '^KGUEST-TIME:' "$WORK/console.log" | sed 's/^KGUEST-TIME: /  guest time: /'
[ $grc = 0 ] || die "guest run: ${KG_RESULT:-no result} (see $WORK/console.log)"
G=$WORK/guest
SIZE=$(cat "$G/md0.size"); SHA=$(cat "$G/md0.sha256")

# ---- host checks
members=(); for ((i = 0; i < NDEV; i++)); do members+=("$WORK/member$i.img"); done
for ((i = 0; i < NDEV; i++)); do
    mdadm --examine "${members[$i]}" > "$WORK/host-examine-member$i.txt" 2>&1 || die "host mdadm --examine member$i: $(cat "$WORK/host-examine-member$i.txt")"
    grep -Eq 'Checksum : [0-9a-f]+ - correct' "$WORK/host-examine-member$i.txt" || die "member$i checksum not correct"
done
# expected content: pattern A with the regions of pattern B
python3 - "$WORK/pattern-a.bin" "$WORK/pattern-b.bin" "$WORK/expected.bin" "$SIZE" "$REGIONS" <<'PY' || die "expected content"
import shutil, sys
a, b, out, size, regions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].split()
with open(a, "rb") as fa, open(out, "wb") as fo:
    shutil.copyfileobj(fa, fo); fo.truncate(size)
with open(b, "rb") as fb, open(out, "r+b") as fo:
    for r in regions:
        off, ln = map(int, r.split(":"))
        fb.seek(off); fo.seek(off); fo.write(fb.read(ln))
PY
EXP=$(sha256sum "$WORK/expected.bin" | cut -d' ' -f1)
[ "$EXP" = "$SHA" ] || die "guest md0 sha256 $SHA != expected (A + B regions) $EXP"
python3 "$MDREF" verify "${members[@]}" --missing "$FAIL_ROLE" --pattern "$WORK/expected.bin" \
    --expect-sha256 "$SHA" > "$WORK/host-verify.txt" 2>&1 || die "mdref.py verify --missing $FAIL_ROLE: $(tail -n 5 "$WORK/host-verify.txt")"
python3 "$MDREF" info "${members[@]}" > "$WORK/host-info.txt" 2>&1 || die "mdref.py info"
# superblock facts (own parse via mdref.read_sb): events, dev_number, role, what the others
# record for role FAIL_ROLE's device, bitmap dirty bits
python3 - "$MDREF" "$FAIL_ROLE" "${members[@]}" > "$WORK/host-members.properties" <<'PY' || die "member superblocks: $(cat "$WORK/host-members.properties")"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mdref", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
fail = int(sys.argv[2]); paths = sys.argv[3:]
sbs = [m.read_sb(p) for p in paths]
names = {0xFFFF: "spare", 0xFFFE: "faulty"}
bad = []
for k, sb in enumerate(sbs):
    bm = m.read_bitmap(sb)
    print("member%d.dev_number=%d" % (k, sb["dev_number"]))
    print("member%d.role=%s" % (k, sb["role"]))
    print("member%d.events=%d" % (k, sb["events"]))
    print("member%d.state=%s" % (k, sb["state"]))
    print("member%d.array_state=%s" % (k, sb["array_state"]))
    print("member%d.roles=%s" % (k, ",".join(names.get(r, str(r)) for r in sb["roles"][:len(sbs)])))
    print("member%d.bitmap_events=%d" % (k, bm["events"]))
    print("member%d.bitmap_events_cleared=%d" % (k, bm["events_cleared"]))
    print("member%d.bitmap_dirty=%s" % (k, m.ranges(bm["dirty"])))
    if sb["role"] != k:
        bad.append("member%d has role %s" % (k, sb["role"]))
stale = sbs[fail]
for k, sb in enumerate(sbs):
    if k == fail:
        continue
    if not stale["events"] < sb["events"]:
        bad.append("member%d events %d not older than member%d's %d" % (fail, stale["events"], k, sb["events"]))
    if sb["roles"][stale["dev_number"]] != 0xFFFE:
        bad.append("member%d records device %d as %s, not faulty" % (k, stale["dev_number"], sb["roles"][stale["dev_number"]]))
if bad:
    print("\n".join("FAIL " + b for b in bad)); sys.exit(1)
PY
for ((i = 0; i < NDEV; i++)); do
    [ $i = "$FAIL_ROLE" ] && continue
    grep -q "Array State : A\.AA" "$WORK/host-examine-member$i.txt" || die "member$i: host mdadm --examine does not show role $FAIL_ROLE missing"
done
kg_log "host checks passed: member$FAIL_ROLE stale, recorded faulty by the others; verify --missing $FAIL_ROLE matches $SHA"

# ---- the fixture
mkdir -p "$OUTDIR/mdadm"; OUTDIR=$(cd "$OUTDIR" && pwd)
(cd "$WORK" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=gnu \
    -cf - member0.img member1.img member2.img member3.img) | xz -9e -T1 > "$OUTDIR/members.tar.xz" || die "tar"
rm -f "$OUTDIR"/mdadm/*
for f in detail-before-fail.txt detail-after-fail.txt detail.txt mdstat-after-fail.txt mdstat.txt md-sysfs.txt \
         mdadm-create.txt mdadm-fail.txt events.txt regions.txt mdadm-version.txt \
         examine-member{0,1,2,3}{.before-fail,.running,}.txt bitmap-member{0,1,2,3}{.before-fail,.running,}.txt; do
    [ -f "$G/$f" ] && cp "$G/$f" "$OUTDIR/mdadm/guest-$f"
done
# (the work dir's path left out of the host outputs)
for ((i = 0; i < NDEV; i++)); do sed "s|$WORK/||g" "$WORK/host-examine-member$i.txt" > "$OUTDIR/mdadm/host-examine-member$i.txt"; done
sed "s|$WORK/||g" "$WORK/host-verify.txt" > "$OUTDIR/mdadm/host-mdref-verify.txt"
sed "s|$WORK/||g" "$WORK/host-info.txt" > "$OUTDIR/mdadm/host-mdref-info.txt"
ex0=$WORK/host-examine-member0.txt
field() { sed -n "s/^ *$1 : //p" "$2" | head -n1; }
{
    echo "# written by tools/src/test/kguest/md-degraded.sh ($(date -u +%Y-%m-%dT%H:%M:%SZ)); see README.md"
    echo "name=kernel-degraded"
    echo "description=degraded: role 1 failed (mdadm --fail, left attached as faulty) after pattern A, pattern B written over the regions while degraded, clean stop"
    echo "kernel=$(cat "$G/kernel.txt")"
    echo "mdadm_version=$(head -n1 "$G/mdadm-version.txt")"
    echo "mdadm_create=$(cat "$G/mdadm-create-cmd.txt")"
    echo "mdadm_fail=$(cat "$G/mdadm-fail-cmd.txt")"
    echo "mdadm_stop=mdadm --stop /dev/md0"
    echo "members=$NDEV"
    echo "raid_disks=$NDEV"
    echo "member_size_bytes=$((MIB * 1048576))"
    echo "level=5"
    echo "metadata=1.2"
    echo "array_name=$(field Name "$ex0" | cut -d' ' -f1)"
    echo "array_uuid=$(field 'Array UUID' "$ex0" | tr -d :)"
    echo "layout=$(field Layout "$ex0")"
    echo "chunk=65536"
    echo "chunk_bytes=65536"
    echo "bitmap=internal"
    echo "bitmap_chunk_bytes=1048576"
    echo "data_offset_sectors=$(field 'Data Offset' "$ex0" | cut -d' ' -f1)"
    echo "array_size_bytes=$SIZE"
    echo "pattern_block_bytes=4096"
    echo "pattern_header=kguest-md-ref block=%010d offset=0x%012x (64 bytes, space padded, last byte \\n)"
    echo "pattern_a_fill=(i*131+7)&0xff"
    echo "pattern_b_fill=((i*131+7)&0xff)^0xff"
    echo "sha256_pattern_a=$(cat "$G/pattern-a.sha256")"
    echo "degraded_regions=$(echo $REGIONS | tr ' ' ',')"
    n=0; for r in $REGIONS; do echo "region$n.offset=${r%%:*}"; echo "region$n.length=${r#*:}"; n=$((n+1)); done
    echo "sha256_array=$SHA"
    echo "failed_member=$FAIL_ROLE"
    echo "end_state=clean, degraded (role $FAIL_ROLE stale, recorded faulty by the others)"
    cat "$WORK/host-members.properties"
    echo "tarball_bytes=$(stat -c %s "$OUTDIR/members.tar.xz")"
    echo "tarball_sha256=$(sha256sum "$OUTDIR/members.tar.xz" | cut -d' ' -f1)"
    echo "build_seconds=$(( $(date +%s) - T0 ))"
} > "$OUTDIR/fixture.properties"
kg_log "fixture written to $OUTDIR ($(stat -c %s "$OUTDIR/members.tar.xz") bytes tarball) in $(( $(date +%s) - T0 )) s"
echo "MD-DEGRADED: PASS sha256_array=$SHA dir=$OUTDIR work=$WORK"
