package io.raid5d.core.stripe;

import io.raid5d.core.parity.Parity;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A stripe head (md's {@code stripe_head}): one page per member for one page-wide column of a
 * chunk row, found by its stripe number {@code key} (member byte offset / page size, relative to
 * the data area).
 *
 * <p>States. {@code phase}: IDLE (no pass), WRITE_PLAN (a write pass has called startWrite and
 * waits for its bitmap batch, pre-reads, or a worker), SYNC_PLAN (a resync/check pass), IO
 * (member reads or writes of the pass are in flight; {@code planPhase} says which pass).
 * A head in use is in exactly one place: on the handle, delayed or bitmap list, owned by a
 * worker ({@code active}), or owned by its in-flight I/O (phase IO). A free head is on the
 * inactive list (and still in the table while it holds cached pages).
 *
 * <p>Everything here is guarded by the engine lock except the pass-owned parts of {@link Dev}
 * and {@link #batch}, which belong to the thread that owns the pass.
 */
final class StripeHead {
    static final int IDLE = 0;
    static final int WRITE_PLAN = 1;
    static final int SYNC_PLAN = 2;
    static final int IO = 3;

    long key = -1;
    long row;
    int parityMember;
    final Dev[] devs;
    // list and table links
    StripeList on;
    StripeHead prev;
    StripeHead next;
    StripeHead hashNext;
    // state
    int phase = IDLE;
    int planPhase; // the pass an IO phase belongs to
    boolean active;
    boolean prereadActive; // released from the delayed list: pre-reads may be issued
    boolean urgent; // a pending piece is FUA or the array drains: never delay
    long bmSeq; // bitmap batch of the current write pass (pass-owned, set by WriteIntentGate.begin)
    boolean intentOpen; // the pass has begun its write intent and not ended it (pass-owned, WriteIntentGate)
    boolean intentSkipped; // that intent is not in the log: a grow's copy writes here (pass-owned, WriteIntentGate)
    long delayedAt; // unplug generation when parked on the delayed or bitmap list
    boolean rmw; // the current write pass is a read-modify-write
    boolean dead; // removed by a cache shrink
    ArrayDeque<SyncRequest> syncs; // pending sync requests, lazily made
    ArrayDeque<SyncRequest> syncing; // those of the current sync pass
    // pass-owned
    ByteBuffer parityOut; // where the pass's new parity is (the parity page itself, or a batch slice)

    StripeHead(int members, int pageBytes) {
        devs = new Dev[members];
        // page-aligned: members opened with O_DIRECT read and write these pages without a bounce
        ByteBuffer pages = ByteBuffer.allocateDirect(members * pageBytes + pageBytes).alignedSlice(pageBytes);
        for (int m = 0; m < members; m++) {
            devs[m] = new Dev(pages.duplicate().limit((m + 1) * pageBytes).position(m * pageBytes).slice());
        }
    }

    // ---- the head's state changes, all here (md changes a stripe's state in handle_stripe and a
    // few helpers). Engine lock held. The asserts state the legal transitions (tests run with -ea).

    /** A worker or a batch owns the head (took it off a list). */
    void own() {
        active = true;
    }

    /** The owner lets go (the head goes on a list, or its I/O owns it now). */
    void disown() {
        active = false;
    }

    /** IDLE -> WRITE_PLAN: a write pass starts (its intent begins through WriteIntentGate). */
    void beginWritePlan() {
        assert phase == IDLE : "stripe " + key + ": write pass from phase " + phase;
        phase = WRITE_PLAN;
    }

    /** IDLE -> SYNC_PLAN: a resync/check/rebuild/fetch pass starts. */
    void beginSyncPlan() {
        assert phase == IDLE : "stripe " + key + ": sync pass from phase " + phase;
        phase = SYNC_PLAN;
    }

    /** The pass's member I/O is issued: the I/O owns the head until it completes. */
    void startIo() {
        assert phase == WRITE_PLAN || phase == SYNC_PLAN : "stripe " + key + ": I/O from phase " + phase;
        planPhase = phase;
        phase = IO;
    }

    /** The pass's reads completed: back to its plan, to be handled again. */
    void readsDone() {
        assert phase == IO : "stripe " + key + ": reads done in phase " + phase;
        phase = planPhase;
    }

    /** A failing pass keeps the head owned (phase IO) while its intent ends outside the lock. */
    void holdForFailure() {
        phase = IO;
    }

    /** A write pass ended (or failed): IDLE, and a later pass must be released from the delayed list again. */
    void endWritePass() {
        phase = IDLE;
        prereadActive = false;
    }

    /** Released from the delayed list (an unplug, or new work made it urgent or a full-stripe write): it may pre-read. */
    void releaseForPreReads() {
        prereadActive = true;
    }

    /** A FUA piece arrived, or the array drains: never delay this head. */
    void markUrgent() {
        urgent = true;
    }

    /** The head takes a new stripe (recycled from the inactive list): no history carries over. */
    void resetForReuse() {
        urgent = false;
        prereadActive = false;
    }

    /** The pass took every pending piece: a FUA among them no longer makes the head urgent. */
    void passTookUrgentWork() {
        urgent = false;
    }

    /** A sync pass ended. */
    void endSyncPass() {
        assert phase == IO : "stripe " + key + ": sync pass ends in phase " + phase;
        phase = IDLE;
    }

    boolean hasPendingWrites() {
        for (Dev d : devs) {
            if (d.toWriteHead != null) {
                return true;
            }
        }
        return false;
    }

    boolean hasPendingSyncs() {
        return syncs != null && !syncs.isEmpty();
    }

    boolean hasWork() {
        return phase != IDLE || hasPendingWrites() || hasPendingSyncs();
    }

    /** Every data page is fully covered by pending pieces (a full-stripe write). */
    boolean fullyOverwritten(int fullMask) {
        for (int m = 0; m < devs.length; m++) {
            if (m != parityMember && !devs[m].overwritten(fullMask, StripeEngine.PAGE)) {
                return false;
            }
        }
        return true;
    }

    /** The page of {@code target} = XOR of every other member's page (all must hold valid bytes). The pass owns the head. */
    void rebuildPage(int target) {
        ByteBuffer[] srcs = new ByteBuffer[devs.length - 1];
        int j = 0;
        for (int m = 0; m < devs.length; m++) {
            if (m != target) {
                srcs[j++] = devs[m].page;
            }
        }
        Parity.compute(devs[target].page.duplicate(), srcs, srcs.length);
    }

    /** Lock held, all other pages up to date: reconstructs the lost member's page into the cache (one page of XOR). */
    void reconstruct(int lost) {
        rebuildPage(lost);
        devs[lost].uptodate = true;
    }

    void clearCache() {
        for (Dev d : devs) {
            d.uptodate = false;
        }
    }

    @Override
    public String toString() {
        return "stripe " + key + " phase " + phase + (on == null ? "" : " on " + on.name) + (active ? " active" : "");
    }
}
