package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The end of a stripe pass: a write pass (one head or a full-stripe batch) whose member writes
 * ended, or a pass that fails because the array failed. Fails members whose writes failed,
 * calls {@code endWrite} once per {@code startWrite}, completes the pieces, releases the heads.
 * Runs on the thread that owns the pass, outside the engine lock except for bookkeeping.
 */
final class PassCompletion {
    private final StripeCache cache;
    private final RequestCompletion completion;
    private final MemberFaults faults;
    private final WriteIntentGate gate;
    private final MemberSet members;
    private final BatchBufferPool batchBuffers;
    private final int raidDisks;

    PassCompletion(StripeCache cache, RequestCompletion completion, MemberFaults faults, WriteIntentGate gate,
                   MemberSet members, BatchBufferPool batchBuffers) {
        this.cache = cache;
        this.completion = completion;
        this.faults = faults;
        this.gate = gate;
        this.members = members;
        this.batchBuffers = batchBuffers;
        this.raidDisks = members.geometry().raidDisks();
    }

    /** Member writes of a pass (one head or a batch) ended: endWrite, complete the pieces, release. Any thread. */
    void writesDone(List<StripeHead> heads, long failedMask, Throwable error, ByteBuffer parityBuf) {
        if (failedMask != 0) {
            // A member write failed: that member is faulty now (recorded before we acknowledge);
            // the others were written, so the data stays recoverable unless the array failed.
            for (int m = 0; m < raidDisks; m++) {
                if ((failedMask & (1L << m)) != 0) {
                    faults.failMember(m, error);
                }
            }
            error = members.failed() ? faults.arrayFailed() : null;
        } else if (error == null && members.failed()) {
            error = faults.arrayFailed(); // nothing is acknowledged once the array failed
        }
        if (error == null && members.degraded()) {
            faults.awaitFailuresRecorded(); // a skipped member's failure is durable before the ack
        }
        boolean degraded = members.degraded();
        List<Piece> pieces = new ArrayList<>();
        try (StripeCache.Locked locked = cache.locked()) {
            for (StripeHead h : heads) {
                for (Dev d : h.devs) {
                    for (Piece p = d.writing; p != null; p = p.next) {
                        pieces.add(p);
                    }
                    d.writing = null;
                    d.src = null;
                }
                if (error != null) {
                    h.clearCache(); // what reached the members is unknown
                }
            }
            batchBuffers.recycle(parityBuf);
        }
        for (StripeHead h : heads) {
            gate.end(h, error == null, degraded);
        }
        try (StripeCache.Locked locked = cache.locked()) {
            for (StripeHead h : heads) {
                h.endWritePass();
                h.parityOut = null;
                cache.release(h);
            }
        }
        for (Piece p : pieces) {
            completion.pieceDone(p.request, error);
        }
    }

    /**
     * md's handle_failed_stripe: the array failed, so the head's pass and everything queued on it
     * fail with {@code error} (pieces and syncs); the pass's write intent ends if it began. The
     * caller owns the pass (a worker planning it, or the I/O completion of its reads).
     */
    void failPass(StripeHead sh, Throwable error) {
        List<Piece> failed = new ArrayList<>();
        List<SyncRequest> failedSyncs = new ArrayList<>();
        try (StripeCache.Locked locked = cache.locked()) {
            for (Dev d : sh.devs) {
                for (Piece p = d.toWriteHead; p != null; p = p.next) {
                    failed.add(p);
                }
                d.drain();
                d.writing = null;
                d.reading = false;
            }
            if (sh.syncing != null) {
                failedSyncs.addAll(sh.syncing);
                sh.syncing = null;
            }
            if (sh.syncs != null) {
                failedSyncs.addAll(sh.syncs);
                sh.syncs.clear();
            }
            sh.clearCache();
            sh.holdForFailure();
        }
        gate.endIfOpen(sh, members.degraded());
        try (StripeCache.Locked locked = cache.locked()) {
            sh.endWritePass();
            cache.release(sh);
        }
        for (Piece p : failed) {
            completion.pieceDone(p.request, error);
        }
        for (SyncRequest s : failedSyncs) {
            s.future.completeExceptionally(error);
            completion.requestDone();
        }
    }
}
