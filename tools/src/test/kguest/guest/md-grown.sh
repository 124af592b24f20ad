# guest side of KernelGrowIT (run by tools/src/test/kguest/md-run.sh): the kernel's md takes the
# members of a RAID-5 raid5d grew (or began to grow), as mdadm assembles them at boot:
#   assemble all MD_NDEV devices; if md resumes a reshape raid5d was stopped in, wait until it is
#   done; record md0's size and sha256, run md's parity check (mismatch_cnt), stop.
# Results: assemble.txt, detail-*.txt, mdstat-*.txt, reshaped (yes|no), md0.size, md0.sha256,
#   mismatch_cnt.
# (md-run-lib.sh, put in front by md-run.sh, loaded md and found $MEMBERS)
for d in $MEMBERS; do mdadm --examine $d > $R/examine-${d##*/}.txt 2>&1; done

kg_time assemble sh -c "mdadm --assemble $MD --run $MEMBERS > $R/assemble.txt 2>&1" || kg_fail "mdadm --assemble: $(cat $R/assemble.txt)"
cat /proc/mdstat > $R/mdstat-assembled.txt
mdadm --detail $MD > $R/detail-assembled.txt 2>&1
sed 's/^/  detail: /' $R/detail-assembled.txt
echo no > $R/reshaped
if [ "$(cat /sys/block/md0/md/reshape_position)" != none ] || [ "$(cat /sys/block/md0/md/sync_action)" = reshape ]; then
    echo yes > $R/reshaped
    kg_say "md resumes the reshape at $(cat /sys/block/md0/md/reshape_position)"
    n=0
    while [ $n -lt 3000 ]; do
        [ "$(cat /sys/block/md0/md/reshape_position)" = none ] && [ "$(cat /sys/block/md0/md/sync_action)" = idle ] && break
        sleep 0.1; n=$((n+1))
    done
    [ "$(cat /sys/block/md0/md/reshape_position)" = none ] || kg_fail "md did not finish the reshape: $(cat /proc/mdstat)"
    cat /proc/mdstat > $R/mdstat-reshaped.txt
    mdadm --detail $MD > $R/detail-reshaped.txt 2>&1
    sed 's/^/  detail: /' $R/detail-reshaped.txt
fi
blockdev --getsize64 $MD > $R/md0.size
echo check > /sys/block/md0/md/sync_action
sleep 0.5
n=0
while [ $n -lt 3000 ] && [ "$(cat /sys/block/md0/md/sync_action)" != idle ]; do sleep 0.1; n=$((n+1)); done
cat /sys/block/md0/md/mismatch_cnt > $R/mismatch_cnt
kg_say "md check: mismatch_cnt $(cat $R/mismatch_cnt)"
sha256sum < $MD | cut -d' ' -f1 > $R/md0.sha256
mdadm --stop $MD > $R/stop.txt 2>&1 || kg_fail "mdadm --stop: $(cat $R/stop.txt)"
sync
exit 0
