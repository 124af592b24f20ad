package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The member reads a pass needs before it can go on (write pre-reads, sync-pass reads): each
 * page marked {@code reading} is queued on its member ({@link MemberQueues}, where neighbouring
 * heads' reads merge into one request); when the last is done, read errors are repaired as md does
 * (reconstruct, write back) or fail members; then the head goes back to the handle list to be
 * planned again, or its pass fails when the array failed. The reads own the head meanwhile.
 */
final class PreReads {
    private static final int PAGE = StripeEngine.PAGE;

    private final StripeCache cache;
    private final MemberQueues queues;
    private final MemberSet members;
    private final MemberFaults faults;
    private final RequestCompletion completion;
    private final PassCompletion passEnd;
    private final int raidDisks;

    PreReads(StripeCache cache, MemberQueues queues, MemberSet members, MemberFaults faults, RequestCompletion completion,
             PassCompletion passEnd) {
        this.cache = cache;
        this.queues = queues;
        this.members = members;
        this.faults = faults;
        this.completion = completion;
        this.passEnd = passEnd;
        this.raidDisks = members.geometry().raidDisks();
    }

    /** Queues a read of every page of {@code sh} marked {@code reading}; the last one to finish goes on with the pass. */
    void submitReads(StripeHead sh) {
        long column = (sh.key % cache.columnsPerChunk) * PAGE;
        int count = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (sh.devs[m].reading) {
                count++;
            }
        }
        if (count == 0) {
            readsDone(sh, null);
            return;
        }
        HeadReads reads = new HeadReads(sh, count);
        MemberQueues.Group group = queues.group();
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (d.reading) {
                int member = m;
                group.read(m, members.rowAddress(m, sh.row) + column, d.pageView(), e -> reads.pageDone(member, e));
            }
        }
        group.submit();
    }

    /** One head's outstanding page reads; the last completion (any I/O thread) finishes them. */
    private final class HeadReads {
        private final StripeHead sh;
        private final AtomicInteger left;
        private final AtomicLong failedMask = new AtomicLong(); // members whose read failed
        private final AtomicReference<Throwable> firstError = new AtomicReference<>();
        private volatile Throwable notIssued; // the pool refused a read: the array is stopping

        HeadReads(StripeHead sh, int count) {
            this.sh = sh;
            this.left = new AtomicInteger(count);
        }

        void pageDone(int member, Throwable error) {
            if (error instanceof MemberQueues.NotIssued) {
                notIssued = error.getCause();
            } else if (error != null) {
                failedMask.getAndUpdate(v -> v | (1L << member));
                firstError.compareAndSet(null, error);
            }
            if (left.decrementAndGet() > 0) {
                return;
            }
            Throwable outcome = notIssued;
            if (outcome == null && failedMask.get() != 0) {
                outcome = repairReadErrors(sh, failedMask.get(), firstError.get());
            }
            readsDone(sh, outcome);
        }
    }

    /**
     * On the I/O thread that saw read errors, while the pass owns {@code sh}: md's read-error
     * handling. With one bad member and a whole array, read every other page, reconstruct the bad
     * one, write it back (a corrected read) or, if that fails too, fail the member; the page is
     * then up to date in the cache either way. Otherwise the erring members fail.
     *
     * @return null when the pass may go on (its reads are good), else the error that fails it
     */
    private Throwable repairReadErrors(StripeHead sh, long failedMask, Throwable cause) {
        for (int m = 0; m < raidDisks; m++) {
            if ((failedMask & (1L << m)) != 0 && !members.readable(m, (sh.key + 1) * StripeEngine.PAGE_SECTORS)) {
                // Lost since the pass was planned: drop the read, the re-plan reconstructs the page.
                sh.devs[m].reading = false;
                failedMask &= ~(1L << m);
            }
        }
        if (failedMask == 0) {
            return null;
        }
        int bad = Long.numberOfTrailingZeros(failedMask);
        if (Long.bitCount(failedMask) > 1 || members.degraded()) {
            for (int m = 0; m < raidDisks; m++) {
                if ((failedMask & (1L << m)) != 0) {
                    faults.failMember(m, cause);
                }
            }
            return members.failed() ? faults.arrayFailed() : cause;
        }
        // md's read error limit: a member that keeps erring is failed, not repaired again; the page
        // is still reconstructed into the cache below, so the pass goes on (degraded now)
        boolean tooMany = faults.readErrorLimitReached(bad);
        if (tooMany) {
            faults.failMember(bad, new IOException("too many read errors"));
            if (members.failed()) {
                return faults.arrayFailed();
            }
        }
        long column = (sh.key % cache.columnsPerChunk) * PAGE;
        boolean[] valid = new boolean[raidDisks];
        try (StripeCache.Locked locked = cache.locked()) {
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                valid[m] = m != bad && (d.uptodate || d.reading);
            }
        }
        for (int m = 0; m < raidDisks; m++) {
            if (m == bad || valid[m]) {
                continue;
            }
            Dev d = sh.devs[m];
            try {
                members.member(m).read(members.rowAddress(m, sh.row) + column, d.pageView());
                d.reading = true; // marked up to date with the pass's reads
            } catch (IOException | RuntimeException e) {
                faults.failMember(m, e); // a second bad member: the block is lost
                faults.failMember(bad, cause);
                return faults.arrayFailed();
            }
        }
        Dev b = sh.devs[bad];
        sh.rebuildPage(bad);
        if (!tooMany) {
            try {
                members.member(bad).write(members.rowAddress(bad, sh.row) + column, b.pageView());
                faults.correctedRead(bad);
            } catch (IOException | RuntimeException e) {
                faults.failMember(bad, e);
            }
        }
        b.reading = true; // up to date now (reconstructed)
        return null;
    }

    private void readsDone(StripeHead sh, Throwable error) {
        try (StripeCache.Locked locked = cache.locked()) {
            for (Dev d : sh.devs) {
                if (d.reading) {
                    d.reading = false;
                    d.uptodate = error == null;
                }
            }
            if (error == null) {
                sh.readsDone();
                cache.toHandle(sh);
                return;
            }
            // The reads could not be repaired: the array failed (see repairReadErrors).
        }
        passEnd.failPass(sh, error);
    }
}
