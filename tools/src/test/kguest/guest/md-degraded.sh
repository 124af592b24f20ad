# guest side of tools/src/test/kguest/md-degraded.sh (busybox ash, run by kguest's /init as
# /kguest/tests/md-degraded.sh).  Makes a DEGRADED md RAID-5 with the kernel's own md driver:
#   create 4 members (--assume-clean, internal bitmap), write pattern A over the whole array,
#   wait until md has marked the array clean and the bitmap daemon has cleared every bit,
#   mdadm --fail the member with role $FAIL_ROLE (it stays attached as faulty, not removed),
#   write pattern B over $REGIONS while degraded, wait for "clean" again, record everything,
#   mdadm --stop.
# disks (virtio-blk serials): member0..member3, pattern-a (whole array), pattern-b (same size;
# only the regions are copied from it).  Results go to /results (the host gets them as a tar).
# params (/kguest/params.sh): MD_NDEV MD_CHUNK_K MD_BITMAP_CHUNK MD_NAME MD_HOMEHOST FAIL_ROLE
#   REGIONS="OFFSET:LENGTH ..." (bytes, multiples of 4 KiB)
. /kguest/lib.sh
. /kguest/params.sh
: "${MD_NDEV:=4}" "${MD_CHUNK_K:=64}" "${MD_BITMAP_CHUNK:=1M}" "${MD_NAME:=kdeg}" "${MD_HOMEHOST:=kguest}"
: "${FAIL_ROLE:=1}" "${REGIONS:?REGIONS not set}"
R=/results
MD=/dev/md0

md_sysfs() {
    for f in level raid_disks chunk_size layout component_size metadata_version array_state \
             array_size sync_action degraded safe_mode_delay \
             bitmap/location bitmap/chunksize bitmap/time_base bitmap/metadata; do
        [ -e /sys/block/md0/md/$f ] && echo "$f=$(cat /sys/block/md0/md/$f)"
    done
    for d in /sys/block/md0/md/dev-*; do
        for f in slot offset size state; do
            [ -e $d/$f ] && echo "${d##*/}/$f=$(cat $d/$f)"
        done
    done
}

# --examine and -X of every member (SUFFIX: part of the file name)
members_state() {  # SUFFIX
    _i=0
    for _d in $MEMBERS; do
        blockdev --flushbufs $_d 2>/dev/null
        mdadm --examine $_d > $R/examine-member$_i$1.txt 2>&1
        mdadm -X $_d > $R/bitmap-member$_i$1.txt 2>&1
        _i=$((_i+1))
    done
}

# wait (<= $1 tenths of a second) until md/array_state is "clean"
wait_clean() {
    _n=0
    while [ "$(cat /sys/block/md0/md/array_state)" != clean ] && [ $_n -lt "$1" ]; do sleep 0.1; _n=$((_n+1)); done
    [ "$(cat /sys/block/md0/md/array_state)" = clean ]
}

kg_step load-modules sh -c '. /kguest/lib.sh; kg_load md'
grep -q raid5 /proc/mdstat || kg_fail "raid456 personality not registered: $(cat /proc/mdstat)"

MEMBERS=
i=0
while [ $i -lt "$MD_NDEV" ]; do
    d=$(kg_disk_by_serial member$i) || kg_fail "no virtio disk with serial member$i"
    MEMBERS="$MEMBERS $d"
    [ $i = "$FAIL_ROLE" ] && FAILDEV=$d
    echo "member$i $d $(blockdev --getsize64 $d)" >> $R/members.txt
    i=$((i+1))
done
MEMBERS=${MEMBERS# }
PATA=$(kg_disk_by_serial pattern-a) || kg_fail "no pattern-a disk"
PATB=$(kg_disk_by_serial pattern-b) || kg_fail "no pattern-b disk"
kg_say "members: $MEMBERS (role $FAIL_ROLE: $FAILDEV); patterns: $PATA $PATB"
mdadm --version > $R/mdadm-version.txt 2>&1
uname -r > $R/kernel.txt

CREATE="mdadm --create $MD --run --level=5 --raid-devices=$MD_NDEV --chunk=$MD_CHUNK_K --bitmap=internal --bitmap-chunk=$MD_BITMAP_CHUNK --metadata=1.2 --name=$MD_NAME --homehost=$MD_HOMEHOST --assume-clean $MEMBERS"
echo "$CREATE" > $R/mdadm-create-cmd.txt
kg_say "$CREATE"
kg_time mdadm-create sh -c "$CREATE > $R/mdadm-create.txt 2>&1"; crc=$?
sed 's/^/  mdadm: /' $R/mdadm-create.txt
[ $crc = 0 ] || kg_fail "mdadm --create failed"
[ "$(cat /sys/block/md0/md/degraded)" = 0 ] || kg_fail "new array degraded: $(cat /proc/mdstat)"
SIZE=$(blockdev --getsize64 $MD)
echo "$SIZE" > $R/md0.size
[ $((SIZE % 65536)) = 0 ] || kg_fail "md0 size $SIZE not a multiple of 64 KiB"

# ---- pattern A over the whole array
kg_step write-pattern-a dd if=$PATA of=$MD bs=64k count=$((SIZE / 65536)) conv=notrunc,fsync
sync
kg_step sha256-pattern-a sh -c "dd if=$PATA bs=64k count=$((SIZE / 65536)) 2>/dev/null | sha256sum | cut -d' ' -f1 > $R/pattern-a.sha256"
blockdev --flushbufs $MD; echo 3 > /proc/sys/vm/drop_caches
kg_step sha256-md0-a sh -c "sha256sum $MD | cut -d' ' -f1 > $R/md0-a.sha256"
[ "$(cat $R/md0-a.sha256)" = "$(cat $R/pattern-a.sha256)" ] || kg_fail "md0 differs from pattern A after the first write"
wait_clean 100 || kg_fail "array not clean after pattern A: $(cat /sys/block/md0/md/array_state)"
# the bitmap daemon clears the bits of finished writes 10-15 s later (and the all-ones bitmap
# mdadm --create wrote): wait for that, so the bits dirty at the end are the degraded writes'
_d0=${MEMBERS%% *}; _n=0
while blockdev --flushbufs $_d0; ! mdadm -X $_d0 2>/dev/null | grep -q ' 0 dirty'; do
    [ $_n -ge 60 ] && kg_fail "bitmap bits not cleared within 60 s: $(mdadm -X $_d0 | grep 'Bitmap :')"
    sleep 1; _n=$((_n+1))
done
kg_say "pattern A written and clean; bitmap clean ${_n}s later"
mdadm --detail $MD > $R/detail-before-fail.txt 2>&1
members_state .before-fail

# ---- fail role $FAIL_ROLE (it stays in the array as faulty: no --remove)
echo "mdadm $MD --fail $FAILDEV" > $R/mdadm-fail-cmd.txt
kg_time mdadm-fail sh -c "mdadm $MD --fail $FAILDEV > $R/mdadm-fail.txt 2>&1"; frc=$?
sed 's/^/  mdadm: /' $R/mdadm-fail.txt
[ $frc = 0 ] || kg_fail "mdadm --fail $FAILDEV failed"
[ "$(cat /sys/block/md0/md/degraded)" = 1 ] || kg_fail "array not degraded after the fail: $(cat /proc/mdstat)"
cat /proc/mdstat > $R/mdstat-after-fail.txt
mdadm --detail $MD > $R/detail-after-fail.txt 2>&1
sed 's/^/  mdstat: /' $R/mdstat-after-fail.txt

# ---- pattern B over the regions, degraded
: > $R/regions.txt
for reg in $REGIONS; do
    off=${reg%%:*}; len=${reg#*:}
    [ $((off % 4096)) = 0 ] && [ $((len % 4096)) = 0 ] || kg_fail "region $reg not 4 KiB aligned"
    kg_step "write-pattern-b@$off" dd if=$PATB of=$MD bs=4096 skip=$((off / 4096)) seek=$((off / 4096)) count=$((len / 4096)) conv=notrunc,fsync
    echo "$off $len" >> $R/regions.txt
done
sync
wait_clean 100 || kg_fail "array not clean after the degraded writes: $(cat /sys/block/md0/md/array_state)"
sleep 6   # let the bitmap daemon run: it must keep the degraded writes' bits
blockdev --flushbufs $MD; echo 3 > /proc/sys/vm/drop_caches
for reg in $REGIONS; do
    off=${reg%%:*}; len=${reg#*:}
    a=$(dd if=$MD bs=4096 skip=$((off / 4096)) count=$((len / 4096)) 2>/dev/null | sha256sum | cut -d' ' -f1)
    b=$(dd if=$PATB bs=4096 skip=$((off / 4096)) count=$((len / 4096)) 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$a" = "$b" ] || kg_fail "region $reg reads back differently from pattern B"
done
kg_step sha256-md0 sh -c "sha256sum $MD | cut -d' ' -f1 > $R/md0.sha256"
kg_say "degraded array: md0 sha256 $(cat $R/md0.sha256), size $SIZE"
mdadm --detail $MD > $R/detail.txt 2>&1
cat /proc/mdstat > $R/mdstat.txt
md_sysfs > $R/md-sysfs.txt
members_state .running
sed 's/^/  detail: /' $R/detail.txt

kg_step mdadm-stop mdadm --stop $MD
members_state ""
i=0
for d in $MEMBERS; do
    echo "member$i $(sed -n 's/^ *Events : //p' $R/examine-member$i.txt)" >> $R/events.txt
    i=$((i+1))
done
sed 's/^/  events: /' $R/events.txt
sync
kg_say "md-degraded done"
exit 0
