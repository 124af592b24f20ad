package io.raid5d.core.intent;

import java.io.IOException;

/**
 * What the stripe engine asks of a write-intent bitmap, with md's semantics (see
 * ../shared/DESIGN.md, "The write path", steps 4 and 6).
 *
 * <p>Protocol, per stripe head: before the first member write of a write pass the engine calls
 * {@link #startWrite} once and records the returned batch number {@code bmSeq}; the stripe
 * then waits on the engine's bitmap list and writes nothing to members until
 * {@link #isBatchWritten isBatchWritten(bmSeq)} is true. {@link #unplug} closes the open batch
 * and gets it written; when a batch is durable the log calls the listener given to
 * {@link #onBatchWritten}. When the pass's member writes have finished (or failed) the engine
 * calls {@link #endWrite} exactly once for that {@code startWrite}, with the same range.
 *
 * <p>Threads: the engine calls {@code startWrite}, {@code unplug} and {@code endWrite} on its
 * own worker or member-I/O threads, never on a Netty event loop, and never while holding its
 * stripe lock; they may block (e.g. for bitmap I/O or counter back-pressure).
 * {@code isBatchWritten} is called under the engine's lock and must not block. The listener may
 * be called on any thread but not from inside {@code startWrite}/{@code isBatchWritten}.
 * Implementations are thread-safe.
 */
public interface WriteIntentLog {

    /**
     * A write to {@code sectors} member sectors at {@code memberSector} (relative to the data
     * area, the same on every member) is about to start.
     *
     * @return the batch ({@code bmSeq = seqFlush + 1}) whose durability the write must wait for
     */
    long startWrite(long memberSector, long sectors);

    /** True when batch {@code bmSeq} (and every earlier one) is durable. Never blocks. */
    boolean isBatchWritten(long bmSeq);

    /** Registers the engine's callback for "another batch is durable"; called once, before any write. */
    void onBatchWritten(Runnable listener);

    /** Closes the open batch ({@code seqFlush++}) and writes it; the listener reports durability. */
    void unplug();

    /**
     * The writes announced by one {@code startWrite} of this range have ended.
     *
     * @param success  every member write succeeded
     * @param degraded the array was degraded for them (the bit must then stay set)
     */
    void endWrite(long memberSector, long sectors, boolean success, boolean degraded);

    // ---- array lifecycle: what the superblock code and the resync ask of the bitmap ----------
    // Defaults are right for a log that keeps no bitmap (AlwaysWrittenLog, test logs).

    /**
     * The superblocks are about to be written with {@code events}; md updates the bitmap header
     * first (md_update_sb), so a bitmap is never older than the superblocks that name it.
     */
    default void recordEvents(long events) throws IOException {
    }

    /** Clean stop, after the last write ended: clear every bit that may be cleared now. */
    default void flushForCleanStop() throws IOException {
    }

    /**
     * Resync after an unclean stop: the next range of member sectors at or after
     * {@code fromSector} (and below {@code limitSector}) that needs syncing, rounded out to whole
     * multiples of {@code alignSectors}; {@code null} when nothing more needs it. Without a bitmap
     * everything does. The caller syncs the range, then calls {@link #endResync} with it.
     */
    default ResyncRange nextResync(long fromSector, long limitSector, long alignSectors) {
        return fromSector < limitSector ? new ResyncRange(fromSector, limitSector) : null;
    }

    /** The range from {@link #nextResync} is synced ({@code aborted}: it was not finished). */
    default void endResync(ResyncRange range, boolean aborted) {
    }

    /** Releases what the log holds (threads, its store) once the engine no longer calls it. */
    default void close() throws IOException {
    }

    /** Member sectors {@code [start, end)} that a resync must cover. */
    record ResyncRange(long start, long end) {
    }
}
