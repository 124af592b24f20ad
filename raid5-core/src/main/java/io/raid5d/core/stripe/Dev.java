package io.raid5d.core.stripe;

import java.nio.ByteBuffer;

/**
 * One member's page of a stripe head (md's {@code r5dev}).
 *
 * <p>Guarded by the engine lock: {@code uptodate}, {@code toWrite*}, {@code coverage}.
 * Owned by the thread that owns the head's current pass (its worker while planning and
 * computing, then the I/O completion): {@code writing}, {@code src}, {@code reading}, and the
 * page's bytes whenever {@code uptodate} is false. Readers may copy out of an up-to-date page
 * under the lock while a pass copies new (not yet acknowledged) data in.
 */
final class Dev {
    final ByteBuffer page; // cache-owned, pageBytes long; never handed out
    boolean uptodate; // the page holds the member's current bytes (or newer ones being written)
    Piece toWriteHead; // pending pieces in arrival order, not yet part of a pass
    Piece toWriteTail;
    int coverage; // sectors fully covered by the pending pieces
    int runStart; // a byte range [runStart, runEnd) the pending pieces cover without a gap
    int runEnd; // (catches pages split at odd bytes between two buffers of one request)
    Piece writing; // pieces drained into the current pass
    ByteBuffer src; // what the current pass writes: the page, or a piece's view (skip-copy)
    boolean reading; // a pre-read of this page is in flight

    Dev(ByteBuffer page) {
        this.page = page;
    }

    boolean hasPendingWrite() {
        return toWriteHead != null;
    }

    void queue(Piece p) {
        if (toWriteTail == null) {
            toWriteHead = p;
        } else {
            toWriteTail.next = p;
        }
        toWriteTail = p;
        coverage |= p.coverageMask();
        int start = p.pageOffset;
        int end = p.pageOffset + p.length;
        if (start <= runEnd && end >= runStart && runEnd > runStart) {
            runStart = Math.min(runStart, start);
            runEnd = Math.max(runEnd, end);
        } else if (end - start > runEnd - runStart) {
            runStart = start;
            runEnd = end;
        }
    }

    /** The pending pieces cover the whole page. */
    boolean overwritten(int fullMask, int pageBytes) {
        return coverage == fullMask || (runStart == 0 && runEnd == pageBytes);
    }

    /** Moves the pending pieces into the pass. */
    void drain() {
        writing = toWriteHead;
        toWriteHead = null;
        toWriteTail = null;
        coverage = 0;
        runStart = 0;
        runEnd = 0;
    }

    /** ByteBuffer view of the page, positioned at 0 (a duplicate: the page itself never moves). */
    ByteBuffer pageView() {
        return page.duplicate().clear();
    }
}
