package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.util.List;

/**
 * Plans a write pass on a worker (md's handle_stripe_dirtying): waits for the pass's bitmap
 * batch (bitmap list), counts reads as md does (reconstruct-write reads every data page not up
 * to date and not fully overwritten; read-modify-write the old data of each written page and
 * the parity), parks a pass that needs reads on the delayed list until released, then issues
 * the pre-reads, or hands a full-stripe write to {@link FullStripeBatch}, or a ready pass to
 * {@link WritePass}. In degraded mode every pass is a reconstruct-write.
 */
final class WritePlanner {
    private static final int FULL_MASK = StripeEngine.FULL_MASK;

    private final StripeCache cache;
    private final MemberSet members;
    private final WriteIntentGate gate;
    private final StripeMetrics metrics;
    private final MemberFaults faults;
    private final UnplugPolicy unplug;
    private final PreReads preReads;
    private final WritePass pass;
    private final FullStripeBatch batch;
    private final PassCompletion passEnd;
    private final int raidDisks;
    private volatile long syncedBelowSector = Long.MAX_VALUE; // resync frontier: stripes at/after it use RCW

    WritePlanner(StripeCache cache, MemberSet members, WriteIntentGate gate, StripeMetrics metrics, MemberFaults faults,
                 UnplugPolicy unplug, PreReads preReads, WritePass pass, FullStripeBatch batch, PassCompletion passEnd) {
        this.cache = cache;
        this.members = members;
        this.gate = gate;
        this.metrics = metrics;
        this.faults = faults;
        this.unplug = unplug;
        this.preReads = preReads;
        this.pass = pass;
        this.batch = batch;
        this.passEnd = passEnd;
        this.raidDisks = members.geometry().raidDisks();
    }

    /** Member sectors from the start known in sync; stripes beyond use reconstruct-write only (as md). */
    void setSyncedBelow(long memberSector) {
        syncedBelowSector = memberSector;
    }

    /** The worker owns {@code sh}, which is in WRITE_PLAN with its {@code bmSeq}. */
    void planWrite(StripeHead sh) {
        if (members.failed()) {
            passEnd.failPass(sh, faults.arrayFailed());
            return;
        }
        List<StripeHead> claimed = null;
        boolean doReads = false;
        try (StripeCache.Locked locked = cache.locked()) {
            if (!gate.settled(sh)) {
                unplug.parkOnBitmap(sh);
                return;
            }
            int pd = sh.parityMember;
            int lost = faults.lostFor(sh);
            ReadPlan plan = ReadPlan.of(sh, lost, (sh.key + 1) * StripeEngine.PAGE_SECTORS <= syncedBelowSector);
            boolean useRmw = plan.rmw();
            int reads = plan.reads();
            if (reads == 0 && plan.reconstruct()) {
                sh.reconstruct(lost); // every other page is up to date: one page of XOR
            }
            if (reads > 0) {
                if (!sh.prereadActive && !sh.urgent && !cache.draining) {
                    unplug.parkDelayed(sh);
                    return;
                }
                for (int m = 0; m < raidDisks; m++) {
                    sh.devs[m].reading = (plan.readMask() & (1L << m)) != 0;
                }
                sh.startIo();
                sh.disown(); // owned by the reads from here
                metrics.prereads.increment(reads);
                doReads = true;
            } else if (!useRmw && batch.enabled() && sh.fullyOverwritten(FULL_MASK)) {
                claimed = batch.claimNeighbours(sh);
            }
            if (!doReads && (claimed == null || claimed.isEmpty())) {
                sh.rmw = useRmw;
                pass.drainPass(sh, sh.devs[pd].page);
            }
        }
        if (doReads) {
            preReads.submitReads(sh);
        } else if (claimed != null && !claimed.isEmpty()) {
            batch.writeBatch(sh, claimed);
        } else {
            pass.computeAndWrite(sh);
        }
    }
}
