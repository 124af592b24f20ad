# Prelude of every guest script md-run.sh runs (it is put in front of the script): kguest's
# helpers and params, md's modules loaded, and MEMBERS = the member disks in serial order
# (member0 member1 ...), MEMBER_k = the disk of member k.
. /kguest/lib.sh
. /kguest/params.sh
R=/results
MD=/dev/md0
kg_step load-modules sh -c '. /kguest/lib.sh; kg_load md'
grep -q raid5 /proc/mdstat || kg_fail "raid456 personality not registered: $(cat /proc/mdstat)"
MEMBERS=
i=0
while [ $i -lt "$MD_NDEV" ]; do
    d=$(kg_disk_by_serial member$i) || kg_fail "no virtio disk with serial member$i"
    MEMBERS="$MEMBERS $d"
    eval "MEMBER_$i=$d"
    i=$((i+1))
done
MEMBERS=${MEMBERS# }
