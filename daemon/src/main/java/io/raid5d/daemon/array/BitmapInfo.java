package io.raid5d.daemon.array;

import io.raid5d.bitmap.format.BitmapSuperblock;

/**
 * The shape of an array's write-intent bitmap, as status reports show it.
 *
 * @param location   "internal" or the bitmap file's path
 * @param chunkBytes member bytes one bit covers
 * @param chunks     number of bits
 */
public record BitmapInfo(String location, long chunkBytes, long chunks) {
    /** md keeps a 16-bit counter per chunk in 4 KiB pages: 2048 chunks per page. */
    public static final int CHUNKS_PER_PAGE = 2048;

    public static BitmapInfo internal(BitmapSuperblock bsb) {
        return of("internal", bsb);
    }

    /** A bitmap at {@code location} ("internal" or a file path) with header {@code bsb}. */
    public static BitmapInfo of(String location, BitmapSuperblock bsb) {
        return new BitmapInfo(location, Integer.toUnsignedLong(bsb.getChunkSize()), bsb.bitCount());
    }

    /** Counter pages needed for all chunks, as md's "bitmap: N pages". */
    public long pages() {
        return (chunks + CHUNKS_PER_PAGE - 1) / CHUNKS_PER_PAGE;
    }
}
