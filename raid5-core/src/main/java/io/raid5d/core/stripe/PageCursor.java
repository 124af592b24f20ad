package io.raid5d.core.stripe;

import io.raid5d.core.geometry.Geometry;

/**
 * Where an array byte lives in the engine: its chunk row, the data member holding it, the
 * stripe head (column) that caches its page ({@link #key} = row * columnsPerChunk + column),
 * and its offset in that page and in the chunk. The one place the engine maps array offsets;
 * {@link Geometry} does the layout (which member holds which chunk).
 *
 * <p>Words: a "row" is md's stripe (one chunk per member, {@code Geometry}'s stripe); a "head"
 * or "column" is one page-wide slice of a row (md's stripe_head), keyed by {@link #key}.
 *
 * <p>Not thread-safe: the cache's cursor is used under the engine lock; a walk outside it
 * makes its own.
 */
final class PageCursor {
    private final Geometry geometry;
    private final long chunkBytes;
    private final int dataDisks;
    private final int columnsPerChunk;
    /** Chunk row of the byte. */
    long row;
    /** The data member that holds it. */
    int member;
    /** The stripe head's key: its column in the row, counted across rows. */
    long key;
    /** Offset in the chunk (and so in the member's chunk of this row). */
    int inChunk;
    /** Offset in the head's page. */
    int pageOffset;

    PageCursor(Geometry geometry) {
        this.geometry = geometry;
        this.chunkBytes = geometry.chunkBytes();
        this.dataDisks = geometry.dataDisks();
        this.columnsPerChunk = geometry.chunkBytes() / StripeEngine.PAGE;
    }

    /** Moves to array byte {@code offset}. */
    PageCursor at(long offset) {
        long chunk = offset / chunkBytes;
        inChunk = (int) (offset - chunk * chunkBytes);
        row = chunk / dataDisks;
        int dataIndex = (int) (chunk - row * dataDisks);
        int column = inChunk / StripeEngine.PAGE;
        pageOffset = inChunk - column * StripeEngine.PAGE;
        member = geometry.dataMember(row, dataIndex);
        key = row * columnsPerChunk + column;
        return this;
    }

    /** Bytes from here to the end of the page, at most {@code limit}. */
    int bytesInPage(int limit) {
        return Math.min(limit, StripeEngine.PAGE - pageOffset);
    }
}
