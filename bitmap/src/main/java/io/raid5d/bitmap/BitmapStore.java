package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapFormatException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a write-intent bitmap lives: a bitmap file, the members' internal bitmap areas, or memory.
 *
 * <p>The stored area is md's layout: the 256-byte bitmap superblock, then the bits (one per chunk,
 * least significant bit first), seen as 4096-byte pages; page {@code p} is area bytes
 * {@code [p * 4096, p * 4096 + 4096)}, so the header is in page 0.
 *
 * <p>Threading: {@link WriteIntentBitmap} calls a store from one thread at a time (it holds its I/O
 * lock around every call), so implementations need no locking of their own for its sake.
 */
public interface BitmapStore extends Closeable {
    /** Bytes per bitmap page (md writes its bitmap a page at a time). */
    int PAGE_BYTES = 4096;

    /** What the store is, for messages: a file path, "internal bitmap on /dev/a, /dev/b". */
    String describe();

    /**
     * Reads the area: the header at position 0 followed by at least {@code bitsBytes()} bytes of
     * bits (the header says how many). Called once, when the bitmap is opened.
     *
     * @throws BitmapFormatException when no usable bitmap is stored (message names the store)
     */
    ByteBuffer readArea() throws IOException, BitmapFormatException;

    /**
     * Writes {@code data} (a whole number of 512-byte sectors, at most one page) at area byte
     * {@code page * PAGE_BYTES}. Need not be durable before {@link #sync()}. Consumes {@code data}.
     */
    void writePage(int page, ByteBuffer data) throws IOException;

    /** Makes every completed {@link #writePage} durable. */
    void sync() throws IOException;

    /** Releases the storage (file lock, handles). Does not close devices the store does not own. */
    @Override
    void close() throws IOException;
}
