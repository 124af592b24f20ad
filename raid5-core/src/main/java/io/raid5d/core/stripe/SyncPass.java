package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.parity.Parity;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sync passes on one head (resync, check, repair, rebuild, degraded fetch; see
 * {@link SyncRequest}): reads every page not up to date, reconstructs a lost member's page, then
 * copies fetched bytes out, compares parity (rewriting it on repair) and writes a rebuilt page to
 * the spare. Passes on a head are serialised, so a sync is ordered with writes to the stripe.
 */
final class SyncPass {
    private static final int PAGE = StripeEngine.PAGE;
    private static final int PAGE_SECTORS = StripeEngine.PAGE_SECTORS;

    private final StripeCache cache;
    private final MemberQueues queues;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final MemberFaults faults;
    private final PreReads preReads;
    private final PassCompletion passEnd;
    private final RequestCompletion completion;
    private final int raidDisks;
    private final int dataDisks;
    private final ThreadLocal<ByteBuffer> syncScratch = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PAGE));

    SyncPass(StripeCache cache, MemberQueues queues, MemberSet members, StripeMetrics metrics, MemberFaults faults,
             PreReads preReads, PassCompletion passEnd, RequestCompletion completion) {
        this.cache = cache;
        this.queues = queues;
        this.members = members;
        this.metrics = metrics;
        this.faults = faults;
        this.preReads = preReads;
        this.passEnd = passEnd;
        this.completion = completion;
        this.raidDisks = members.geometry().raidDisks();
        this.dataDisks = members.geometry().dataDisks();
    }

    /** The worker owns {@code sh}, which is in SYNC_PLAN. */
    void planSync(StripeHead sh) {
        if (members.failed()) {
            passEnd.failPass(sh, faults.arrayFailed());
            return;
        }
        boolean needReads = false;
        int lost;
        try (StripeCache.Locked locked = cache.locked()) {
            if (sh.syncing == null) {
                sh.syncing = sh.syncs;
                sh.syncs = null;
            }
            lost = faults.lostFor(sh);
            // Fetches of surviving pages alone need only those pages (md's fetch_block); a check,
            // a rebuild or a fetch of the lost page needs every page, to compare or reconstruct.
            boolean reconstruct = false;
            long wanted = 0;
            for (SyncRequest s : sh.syncing) {
                if (s.kind == SyncRequest.FETCH && s.member != lost) {
                    wanted |= 1L << s.member;
                } else {
                    reconstruct = true;
                }
            }
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                d.reading = m != lost && !d.uptodate && (reconstruct || (wanted & (1L << m)) != 0);
                needReads |= d.reading;
            }
            if (!needReads && reconstruct && lost >= 0 && !sh.devs[lost].uptodate) {
                sh.reconstruct(lost);
            }
            sh.startIo();
            if (needReads) {
                sh.disown();
            }
        }
        if (needReads) {
            preReads.submitReads(sh);
            return;
        }
        // Every page the pass needs is up to date and owned by it.
        boolean check = false;
        boolean repair = false;
        boolean rebuild = false;
        for (SyncRequest s : sh.syncing) {
            if (s.kind == SyncRequest.FETCH) {
                s.dst.put(s.dstPos, sh.devs[s.member].page, s.pageOffset, s.length);
            } else if (s.kind == SyncRequest.REBUILD) {
                rebuild = true;
            } else {
                check = true;
                repair |= s.repair;
            }
        }
        long mismatched = 0;
        Dev parity = sh.devs[sh.parityMember];
        boolean writeParity = false;
        if (check && lost < 0) { // a degraded stripe has no redundancy to check
            ByteBuffer computed = syncScratch.get().clear();
            ByteBuffer[] data = new ByteBuffer[dataDisks];
            int j = 0;
            for (int m = 0; m < raidDisks; m++) {
                if (m != sh.parityMember) {
                    data[j++] = sh.devs[m].page;
                }
            }
            Parity.compute(computed, data, dataDisks);
            if (!Parity.equals(computed, parity.page)) {
                mismatched = PAGE_SECTORS;
                if (repair) {
                    parity.page.put(0, computed, 0, PAGE);
                    writeParity = true;
                }
            }
        }
        int rebuildRole = rebuild && lost >= 0 && members.writable(lost) ? lost : -1;
        if (!writeParity && rebuildRole < 0) {
            syncDone(sh, mismatched, 0, null);
            return;
        }
        long column = (sh.key % cache.columnsPerChunk) * PAGE;
        long found = mismatched;
        boolean parityToo = writeParity;
        try (StripeCache.Locked locked = cache.locked()) {
            sh.disown();
        }
        int[] targets = parityToo && rebuildRole >= 0 ? new int[] {sh.parityMember, rebuildRole}
                : new int[] {parityToo ? sh.parityMember : rebuildRole};
        SyncWrites writes = new SyncWrites(sh, found, rebuildRole, targets.length);
        MemberQueues.Group group = queues.group();
        for (int role : targets) {
            group.write(role, members.rowAddress(role, sh.row) + column, sh.devs[role].pageView(),
                    e -> writes.written(role, e));
        }
        group.submit();
    }

    /** The parity and/or rebuilt page writes of one sync pass; the last completion ends the pass. */
    private final class SyncWrites {
        private final StripeHead sh;
        private final long mismatched;
        private final int rebuildRole;
        private final AtomicInteger left;
        private final AtomicLong failedMask = new AtomicLong(); // roles whose write failed
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile Throwable notIssued;

        SyncWrites(StripeHead sh, long mismatched, int rebuildRole, int count) {
            this.sh = sh;
            this.mismatched = mismatched;
            this.rebuildRole = rebuildRole;
            this.left = new AtomicInteger(count);
        }

        void written(int role, Throwable error) {
            if (error instanceof MemberQueues.NotIssued) {
                notIssued = error.getCause();
            } else if (error != null) {
                failure.compareAndSet(null, error);
                failedMask.getAndUpdate(v -> v | (1L << role));
            }
            if (left.decrementAndGet() > 0) {
                return;
            }
            Throwable outcome = notIssued;
            long failed = failedMask.get();
            for (int m = 0; m < raidDisks; m++) {
                if ((failed & (1L << m)) != 0) {
                    faults.failMember(m, failure.get());
                }
            }
            if (failed != 0 && outcome == null && members.failed()) {
                outcome = faults.arrayFailed();
            }
            boolean rebuilt = rebuildRole >= 0 && (failed & (1L << rebuildRole)) == 0;
            syncDone(sh, mismatched, rebuilt ? PAGE_SECTORS : 0, outcome);
        }
    }

    private void syncDone(StripeHead sh, long mismatched, long rebuilt, Throwable error) {
        List<SyncRequest> done;
        try (StripeCache.Locked locked = cache.locked()) {
            done = new ArrayList<>(sh.syncing);
            sh.syncing = null;
            if (error != null) {
                sh.clearCache();
            }
            sh.endSyncPass();
            cache.release(sh);
        }
        for (SyncRequest s : done) {
            if (error == null) {
                s.future.complete(s.kind == SyncRequest.CHECK ? mismatched : s.kind == SyncRequest.REBUILD ? rebuilt : 0L);
            } else {
                s.future.completeExceptionally(error);
            }
            completion.requestDone();
        }
    }
}
