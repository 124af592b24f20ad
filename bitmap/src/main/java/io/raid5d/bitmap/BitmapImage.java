package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapSuperblock;

import java.nio.ByteBuffer;

/**
 * The in-memory copy of the stored area (header, then bits) in {@link BitmapStore#PAGE_BYTES}
 * pages, with two marks per page:
 * <ul>
 *   <li><b>dirty</b>: a bit was set and the page must reach disk before the writes that set it
 *       may touch members; the next batch close takes it ({@code unplug}).</li>
 *   <li><b>cleared</b>: a bit was cleared; the daemon writes the page lazily.</li>
 * </ul>
 *
 * <p>Not thread-safe: guarded by {@link WriteIntentBitmap}'s state lock.
 */
final class BitmapImage {
    static final int PAGE = BitmapStore.PAGE_BYTES;

    private final byte[] area;
    private final ByteBuffer bits; // view of area from byte 256
    private final long bitCount;
    /** Bytes written to the store: header + bits rounded up to whole 512-byte sectors. */
    private final int usedBytes;
    private final int pages;
    private final boolean[] dirty;
    private int dirtyCount;
    private final boolean[] cleared;

    BitmapImage(BitmapSuperblock header, ByteBuffer stored) {
        bitCount = header.bitCount();
        long used = (BitmapSuperblock.SIZE + header.bitsBytes() + 511) / 512 * 512;
        if (used > Integer.MAX_VALUE - PAGE) {
            throw new IllegalArgumentException("bitmap of " + bitCount + " bits is too large");
        }
        usedBytes = (int) used;
        pages = (usedBytes + PAGE - 1) / PAGE;
        area = new byte[pages * PAGE];
        ByteBuffer src = stored.duplicate();
        int copy = (int) Math.min(src.remaining(), BitmapSuperblock.SIZE + header.bitsBytes());
        src.limit(src.position() + copy);
        ByteBuffer.wrap(area).put(src);
        bits = ByteBuffer.wrap(area).position(BitmapSuperblock.SIZE).slice();
        dirty = new boolean[pages];
        cleared = new boolean[pages];
    }

    int pages() {
        return pages;
    }

    long bitCount() {
        return bitCount;
    }

    static int pageOf(long chunk) {
        return (int) ((BitmapSuperblock.SIZE + (chunk >>> 3)) / PAGE);
    }

    boolean isSet(long chunk) {
        return BitmapBits.isSet(bits, chunk);
    }

    /** Sets the bit; if it was clear, marks its page dirty. */
    void setBit(long chunk) {
        if (!BitmapBits.isSet(bits, chunk)) {
            BitmapBits.set(bits, chunk);
            markDirty(pageOf(chunk));
        }
    }

    /** Clears the bit and marks its page for the daemon's write. */
    void clearBit(long chunk) {
        BitmapBits.clear(bits, chunk);
        cleared[pageOf(chunk)] = true;
    }

    void markDirty(int page) {
        if (!dirty[page]) {
            dirty[page] = true;
            dirtyCount++;
        }
    }

    int dirtyCount() {
        return dirtyCount;
    }

    /** Moves the dirty pages' numbers into {@code out} (ascending), unmarking them; returns how many. */
    int takeDirty(int[] out) {
        int n = 0;
        for (int p = 0; p < pages && dirtyCount > 0; p++) {
            if (dirty[p]) {
                dirty[p] = false;
                dirtyCount--;
                out[n++] = p;
            }
        }
        return n;
    }

    /** Moves the pages with cleared bits into {@code out}, unmarking them; returns how many. */
    int takeCleared(int[] out) {
        int n = 0;
        for (int p = 0; p < pages; p++) {
            if (cleared[p]) {
                cleared[p] = false;
                out[n++] = p;
            }
        }
        return n;
    }

    /**
     * Copies the page's bytes that belong to the stored area (whole sectors) into {@code dst}
     * (cleared first, flipped after); page 0 gets {@code header} encoded in front.
     */
    void copyPage(int page, BitmapSuperblock header, ByteBuffer dst) {
        if (page == 0) {
            header.encodeInto(ByteBuffer.wrap(area, 0, BitmapSuperblock.SIZE));
        }
        int start = page * PAGE;
        int end = Math.min(start + PAGE, usedBytes);
        dst.clear();
        dst.put(area, start, end - start);
        dst.flip();
    }

    long countSet() {
        return BitmapBits.countDirty(bits, bitCount);
    }

    /** A read-only view of the bits (position 0 = bit 0); the caller holds the state lock while using it. */
    ByteBuffer bitsView() {
        return bits.asReadOnlyBuffer();
    }
}
