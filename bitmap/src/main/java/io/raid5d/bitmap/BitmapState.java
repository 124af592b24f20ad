package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The in-memory state of one {@link WriteIntentBitmap}: geometry (immutable), and the header,
 * counters, image, batch numbers and flags shared by its parts.
 *
 * <p>This object is the bitmap's state lock: every mutable field is guarded by
 * {@code synchronized (state)}, held briefly and never across I/O. Lock order: the I/O lock
 * ({@link PageWriter}) first, then this one.
 */
final class BitmapState {
    // ---- immutable after open
    final String name;
    final long chunkCount;
    /** log2 of the bitmap chunk in sectors. */
    final int chunkShift;

    // ---- guarded by this
    /** The header as it will next be written (events, events_cleared, state). */
    final BitmapSuperblock header;
    final ChunkCounters counters;
    final BitmapImage image;
    final BatchSequence batches = new BatchSequence();
    /** The array's events as last passed in (open or setEvents): md's mddev->events. */
    long arrayEvents;
    boolean degraded;
    /** events_cleared moved on and the header must be written before a bit is cleared. */
    boolean needSync;
    /** A flush task is submitted and has not closed its batch yet. */
    boolean flushQueued;
    /** A flush task closed a batch and is writing it (seqWrite < seqFlush meanwhile). */
    boolean flushRunning;
    /** First store failure; the bitmap writes nothing after it. */
    IOException failure;
    boolean closed;
    /** startWrite calls not yet matched by endWrite (the balance). */
    long writesInFlight;
    /** Shared future for writers that met a full counter; null when nobody waits. */
    CompletableFuture<Void> counterRoom;
    /** Waiters of a failed bitmap, to be failed once the I/O lock is released. */
    final List<CompletableFuture<Void>> failedWaiters = new ArrayList<>();

    BitmapState(String name, BitmapSuperblock header, ByteBuffer bits, long arrayEvents, boolean degraded) {
        this.name = name;
        this.header = header;
        this.chunkCount = header.bitCount();
        this.chunkShift = Integer.numberOfTrailingZeros(header.getChunkSize() >>> 9);
        this.counters = new ChunkCounters(chunkCount);
        this.image = new BitmapImage(header, bits);
        this.arrayEvents = arrayEvents;
        this.degraded = degraded;
    }

    long firstChunk(long memberSector, long sectors) {
        if (memberSector < 0 || sectors <= 0 || ((memberSector + sectors - 1) >>> chunkShift) >= chunkCount) {
            throw new IllegalArgumentException(name + ": member sectors " + memberSector + "+" + sectors
                    + " outside the bitmap's " + chunkCount + " chunks of " + (1L << chunkShift) + " sectors");
        }
        return memberSector >>> chunkShift;
    }

    long lastChunk(long memberSector, long sectors) {
        return (memberSector + sectors - 1) >>> chunkShift;
    }

    void checkChunk(long chunk) {
        if (chunk < 0 || chunk >= chunkCount) {
            throw new IllegalArgumentException(name + ": chunk " + chunk + " outside 0.." + (chunkCount - 1));
        }
    }

    /** Caller holds this. */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException(closedException().getMessage());
        }
    }

    IOException closedException() {
        return new IOException(name + ": bitmap is closed");
    }
}
