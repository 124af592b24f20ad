package io.raid5d.core.intent;

/**
 * What the stripe engine asks of a write-intent bitmap, and all it may ask (the engine-facing
 * half of {@link WriteIntentLog}; the lifecycle half is the array's), with md's semantics (see
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
public interface WriteIntent {

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

    /**
     * {@link #endWrite(long, long, boolean, boolean)} for the write whose {@code startWrite}
     * returned {@code bmSeq}: the engine always ends a write this way, so a log that hands out
     * several kinds of batch numbers (the switchable log: one per bitmap) can route the end
     * without looking anything up.
     */
    default void endWrite(long bmSeq, long memberSector, long sectors, boolean success, boolean degraded) {
        endWrite(memberSector, sectors, success, degraded);
    }
}
