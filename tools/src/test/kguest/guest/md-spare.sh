# guest side of KernelSpareIT (run by tools/src/test/kguest/md-run.sh): the kernel's md takes a
# raid5d-made RAID-5 with a spare (raid5 create --spare-devices 1), as mdadm would:
#   assemble all MD_NDEV devices (the last one the spare), check md sees N members + 1 spare,
#   record md0's sha256, mdadm --fail the member with role 1, wait for md to rebuild onto the
#   spare, run md's parity check (mismatch_cnt), record the sha256 again, stop.
# Results: detail-*.txt, examine-*.txt, md0-before.sha256, md0-after.sha256, mismatch_cnt,
# roles.txt (serial -> role after the rebuild).
# (md-run-lib.sh, put in front by md-run.sh, loaded md and found $MEMBERS)

kg_time assemble sh -c "mdadm --assemble $MD --run $MEMBERS > $R/assemble.txt 2>&1" || kg_fail "mdadm --assemble: $(cat $R/assemble.txt)"
mdadm --detail $MD > $R/detail-assembled.txt 2>&1
sed 's/^/  detail: /' $R/detail-assembled.txt
grep -q "Spare Devices : 1" $R/detail-assembled.txt || kg_fail "md does not see one spare"
grep -q "Active Devices : $((MD_NDEV - 1))" $R/detail-assembled.txt || kg_fail "md does not see $((MD_NDEV - 1)) active members"
sha256sum < $MD | cut -d' ' -f1 > $R/md0-before.sha256

kg_time fail sh -c "mdadm $MD --fail $MEMBER_1 > $R/fail.txt 2>&1" || kg_fail "mdadm --fail: $(cat $R/fail.txt)"
n=0
while [ $n -lt 1200 ]; do
    [ "$(cat /sys/block/md0/md/degraded)" = 0 ] && [ "$(cat /sys/block/md0/md/sync_action)" = idle ] && break
    sleep 0.1; n=$((n+1))
done
[ "$(cat /sys/block/md0/md/degraded)" = 0 ] || kg_fail "md did not rebuild onto the spare: $(cat /proc/mdstat)"
mdadm --detail $MD > $R/detail-rebuilt.txt 2>&1
sed 's/^/  detail: /' $R/detail-rebuilt.txt

echo check > /sys/block/md0/md/sync_action
sleep 0.5
n=0
while [ $n -lt 1200 ] && [ "$(cat /sys/block/md0/md/sync_action)" != idle ]; do sleep 0.1; n=$((n+1)); done
cat /sys/block/md0/md/mismatch_cnt > $R/mismatch_cnt
kg_say "md check: mismatch_cnt $(cat $R/mismatch_cnt)"
sha256sum < $MD | cut -d' ' -f1 > $R/md0-after.sha256
for d in $MEMBERS; do
    echo "${d##*/} $(cat /sys/block/${d##*/}/serial) $(mdadm --examine $d 2>/dev/null | grep 'Device Role')" >> $R/roles.txt
done
mdadm --stop $MD > $R/stop.txt 2>&1 || kg_fail "mdadm --stop: $(cat $R/stop.txt)"
sync
exit 0
