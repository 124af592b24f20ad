package io.raid5d.core.intent;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;

/**
 * A write-intent log as the array manages it: the engine-facing {@link WriteIntent} (which the
 * stripe engine alone calls) plus the lifecycle the array drives -- events before superblock
 * writes, a clean stop, resync ranges, degraded mode, re-add, a joining member's bitmap copy,
 * closing. Switching bitmaps at run time is the array's too ({@link SwitchableWriteIntentLog}).
 */
public interface WriteIntentLog extends WriteIntent {

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
