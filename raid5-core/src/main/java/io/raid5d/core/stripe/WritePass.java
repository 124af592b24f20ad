package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.parity.Parity;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A planned write pass on a head whose reads are done: drains the pending pieces into the pass,
 * computes the new parity (read-modify-write or reconstruct-write) and writes the changed pages
 * and parity (queued on the members, where neighbouring passes' writes merge). {@link FullStripeBatch} uses the same steps for each of its heads.
 * The pass owner owns the pass fields and the bytes of pages that are not up to date.
 */
final class WritePass {
    private static final int PAGE = StripeEngine.PAGE;

    private final StripeCache cache;
    private final MemberQueues queues;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final PassCompletion passEnd;
    private final int raidDisks;
    private final int dataDisks;

    WritePass(StripeCache cache, MemberQueues queues, MemberSet members, StripeMetrics metrics, PassCompletion passEnd) {
        this.cache = cache;
        this.queues = queues;
        this.members = members;
        this.metrics = metrics;
        this.passEnd = passEnd;
        this.raidDisks = members.geometry().raidDisks();
        this.dataDisks = members.geometry().dataDisks();
    }

    /** Moves pending pieces into the pass (lock held); pieces that cover a whole page are written from the caller's buffer. */
    void drainPass(StripeHead sh, ByteBuffer parityOut) {
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (!d.hasPendingWrite()) {
                continue;
            }
            d.drain();
            Piece p = d.writing;
            if (p.next == null && p.pageOffset == 0 && p.length == PAGE) {
                d.src = p.source(); // skip-copy: the page will not hold this data (an RMW still
                d.uptodate = false; // reads the old bytes from it: the pass owns it)
            } else {
                d.src = null;
            }
        }
        sh.parityOut = parityOut;
        sh.passTookUrgentWork();
        sh.startIo();
        if (sh.rmw) {
            metrics.rmw.increment();
        } else {
            metrics.rcw.increment();
        }
    }

    /** New parity for one head's pass (outside the lock; the pass owns the pages). */
    void compute(StripeHead sh, ByteBuffer[] srcs) {
        int pd = sh.parityMember;
        ByteBuffer parity = sh.parityOut.duplicate();
        if (sh.rmw) {
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                if (m == pd || d.writing == null) {
                    continue;
                }
                Parity.xorInto(parity, d.page); // remove the old data
                if (d.src == null) {
                    copyPieces(d);
                    d.src = d.page;
                }
                Parity.xorInto(parity, d.src); // add the new
            }
            return;
        }
        int j = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (m == pd) {
                continue;
            }
            Dev d = sh.devs[m];
            if (d.writing != null && d.src == null) {
                copyPieces(d);
                d.src = d.page;
            }
            srcs[j++] = d.writing != null ? d.src : d.page;
        }
        Parity.compute(parity, srcs, dataDisks);
    }

    private static void copyPieces(Dev d) {
        for (Piece p = d.writing; p != null; p = p.next) {
            d.page.put(p.pageOffset, p.base, p.basePos, p.length);
        }
    }

    /** After compute: pages filled by copying are up to date; the parity page is if it holds the new parity. Lock held. */
    void markComputed(StripeHead sh) {
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (m == sh.parityMember) {
                d.uptodate = sh.parityOut == d.page;
            } else if (d.writing != null) {
                d.uptodate = d.src == d.page;
            }
        }
    }

    /** One head's write pass: compute parity, queue the changed pages' and the parity's writes. */
    void computeAndWrite(StripeHead sh) {
        compute(sh, new ByteBuffer[dataDisks]);
        try (StripeCache.Locked locked = cache.locked()) {
            markComputed(sh);
            sh.disown();
        }
        int writes = 0;
        for (int m = 0; m < raidDisks; m++) {
            if ((m == sh.parityMember || sh.devs[m].writing != null) && members.writable(m)) {
                writes++; // a lost member is skipped: its data lives on in parity
            }
        }
        if (writes == 0) {
            passEnd.writesDone(List.of(sh), 0, null, null);
            return;
        }
        long column = (sh.key % cache.columnsPerChunk) * PAGE;
        PassWrites pending = new PassWrites(passEnd, List.of(sh), null, writes);
        MemberQueues.Group group = queues.group();
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if ((m == sh.parityMember || d.writing != null) && members.writable(m)) {
                int role = m;
                ByteBuffer src = (m == sh.parityMember ? sh.parityOut : d.src).duplicate();
                group.write(m, members.rowAddress(m, sh.row) + column, src, e -> pending.written(role, e));
            }
        }
        group.submit();
    }
}
