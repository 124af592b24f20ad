package io.raid5d.core.intent;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;
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

    /**
     * {@link #endWrite(long, long, boolean, boolean)} for the write whose {@code startWrite}
     * returned {@code bmSeq}: the engine always ends a write this way, so a log that hands out
     * several kinds of batch numbers (the switchable log: one per bitmap) can route the end
     * without looking anything up.
     */
    default void endWrite(long bmSeq, long memberSector, long sectors, boolean success, boolean degraded) {
        endWrite(memberSector, sectors, success, degraded);
    }

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

    /**
     * A member joined in {@code role} (a spare about to be rebuilt): a bitmap kept on the members
     * writes its whole current copy there, durably, before the superblocks name the member.
     */
    default void memberAdded(int role, MemberDevice device,
                             Superblock superblock) throws IOException {
    }

    /**
     * Whom to tell when the log can no longer keep its copy on a member (a bitmap page write or
     * sync to it failed): md fails such a member, else its stale copy could be loaded later.
     * Called once by the array; the handler must not block (it is called on the log's I/O path).
     */
    default void onMemberFailure(java.util.function.BiConsumer<Integer, IOException> handler) {
    }

    /** Releases what the log holds (threads, its store) once the engine no longer calls it. */
    default void close() throws IOException {
    }

    /** Member sectors {@code [start, end)} that a resync must cover. */
    record ResyncRange(long start, long end) {
    }

    // ---- degraded mode and recovery (issue #5). The defaults are right for a log whose bits are
    // all set while the array is writable (AlwaysWrittenLog): everything counts as dirty.

    /**
     * The array became degraded (a member failed or was removed) or whole again (a rebuild
     * finished). While degraded no bit may be cleared: the bits are what a re-added member is
     * recovered from (md: bits of degraded writes stay set, events_cleared stops moving).
     * Called outside the engine lock, before the failure is recorded in the superblocks; may block.
     * Default: nothing (every bit is set anyway).
     */
    default void setDegraded(boolean degraded) {
    }

    /**
     * The first member sector at or after {@code fromMemberSector} (relative to the data area)
     * that may hold writes a member that left missed: the start of the next chunk whose bit is
     * set (or NEEDED). {@code Long.MAX_VALUE} when no later chunk is dirty. A bitmap-based
     * recovery of a re-added member copies only the rows this reports. Must not block for long.
     * Default: {@code fromMemberSector} (every chunk is dirty: a full recovery).
     */
    default long nextDirtySector(long fromMemberSector) {
        return fromMemberSector;
    }

    /**
     * The bitmap's events_cleared: a member that left with an event count not older than this
     * missed only writes whose bits are still set, so it can be re-added and recovered from the
     * bitmap; an older one needs a full rebuild. Default 0: any member may be re-added (and, with
     * every chunk dirty, the recovery is full anyway).
     */
    default long eventsCleared() {
        return 0;
    }
}
