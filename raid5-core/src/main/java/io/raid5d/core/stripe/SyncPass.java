package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

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
    private final MemberIo io;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final MemberFaults faults;
    private final PreReads preReads;
    private final PassCompletion passEnd;
    private final RequestCompletion completion;
    private final int raidDisks;
    private final int dataDisks;
    private final ThreadLocal<ByteBuffer> syncScratch = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PAGE));

    SyncPass(StripeCache cache, MemberIo io, MemberSet members, StripeMetrics metrics, MemberFaults faults,
             PreReads preReads, PassCompletion passEnd, RequestCompletion completion) {
        this.cache = cache;
        this.io = io;
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
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                d.reading = m != lost && !d.uptodate;
                needReads |= d.reading;
            }
            if (!needReads && lost >= 0 && !sh.devs[lost].uptodate) {
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
        // Every page is up to date and owned by this pass.
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
        io.submit(new MemberIo.Task() {
            int failedRole = -1;
            Throwable failure;

            @Override
            public void run() {
                int[] targets = {parityToo ? sh.parityMember : -1, rebuildRole};
                for (int role : targets) {
                    if (role < 0) {
                        continue;
                    }
                    try {
                        members.member(role).write(members.rowAddress(role, sh.row) + column, sh.devs[role].pageView());
                        metrics.memberWriteBytes.record(PAGE);
                    } catch (IOException | RuntimeException e) {
                        failedRole = role;
                        failure = e;
                    }
                }
            }

            @Override
            public void done(Throwable error) {
                if (failedRole >= 0) {
                    faults.failMember(failedRole, failure);
                    error = members.failed() ? faults.arrayFailed() : null;
                }
                syncDone(sh, found, rebuildRole >= 0 && failedRole != rebuildRole ? PAGE_SECTORS : 0, error);
            }
        });
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
