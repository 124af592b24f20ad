package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A planned write pass on a head whose reads are done: drains the pending pieces into the pass,
 * computes the new parity (read-modify-write or reconstruct-write) and writes the changed pages
 * and parity (one I/O task). {@link FullStripeBatch} uses the same steps for each of its heads.
 * The pass owner owns the pass fields and the bytes of pages that are not up to date.
 */
final class WritePass {
    private static final int PAGE = StripeEngine.PAGE;

    private final StripeCache cache;
    private final MemberIo io;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final PassCompletion passEnd;
    private final int raidDisks;
    private final int dataDisks;

    WritePass(StripeCache cache, MemberIo io, MemberSet members, StripeMetrics metrics, PassCompletion passEnd) {
        this.cache = cache;
        this.io = io;
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

    /** One head's write pass: compute parity, write the changed pages and parity in one I/O task. */
    void computeAndWrite(StripeHead sh) {
        compute(sh, new ByteBuffer[dataDisks]);
        try (StripeCache.Locked locked = cache.locked()) {
            markComputed(sh);
            sh.disown();
        }
        int writes = 1;
        for (int m = 0; m < raidDisks; m++) {
            if (m != sh.parityMember && sh.devs[m].writing != null) {
                writes++;
            }
        }
        int[] who = new int[writes];
        ByteBuffer[] what = new ByteBuffer[writes];
        int k = 0;
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (m == sh.parityMember) {
                who[k] = m;
                what[k++] = sh.parityOut;
            } else if (d.writing != null) {
                who[k] = m;
                what[k++] = d.src;
            }
        }
        long column = (sh.key % cache.columnsPerChunk) * PAGE;
        io.submit(new MemberIo.Task() {
            long failedMask; // members whose write failed (the others are still written)
            Throwable firstError;

            @Override
            public void run() {
                for (int i = 0; i < who.length; i++) {
                    if (!members.writable(who[i])) {
                        continue; // lost: its data lives on in parity
                    }
                    try {
                        members.member(who[i]).write(members.rowAddress(who[i], sh.row) + column, what[i].duplicate());
                        metrics.memberWriteBytes.record(PAGE);
                    } catch (IOException | RuntimeException e) {
                        failedMask |= 1L << who[i];
                        if (firstError == null) {
                            firstError = e;
                        }
                    }
                }
            }

            @Override
            public void done(Throwable error) {
                passEnd.writesDone(List.of(sh), failedMask, error != null ? error : firstError, null);
            }
        });
    }
}
