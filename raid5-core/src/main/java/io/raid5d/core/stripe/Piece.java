package io.raid5d.core.stripe;

import java.nio.ByteBuffer;

/**
 * The part of one write request that lands in one member page of one stripe head: bytes
 * {@code [pageOffset, pageOffset + length)} of the page come from {@code base} at
 * {@code basePos}. Immutable except {@code next}, which chains a dev's pieces in arrival order
 * (guarded by the engine lock while queued, owned by the handling thread once drained).
 */
final class Piece {
    final WriteRequest request;
    final int pageOffset;
    final int length;
    final ByteBuffer base; // the request's buffer (never moved) or the shared zero page
    final int basePos;
    Piece next;

    Piece(WriteRequest request, int pageOffset, int length, ByteBuffer base, int basePos) {
        this.request = request;
        this.pageOffset = pageOffset;
        this.length = length;
        this.base = base;
        this.basePos = basePos;
    }

    /** A view of the source bytes, positioned at 0. Allocates a view; not on the per-byte path. */
    ByteBuffer source() {
        return base.duplicate().limit(basePos + length).position(basePos).slice();
    }

    /** Full-sector coverage of this piece as a bit mask (bit i = sector i of the page). */
    int coverageMask() {
        int first = (pageOffset + 511) >>> 9;
        int end = (pageOffset + length) >>> 9;
        return end <= first ? 0 : ((1 << end) - 1) & ~((1 << first) - 1);
    }
}
