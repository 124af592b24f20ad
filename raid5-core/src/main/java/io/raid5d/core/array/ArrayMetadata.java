package io.raid5d.core.array;

import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.superblock.MdTimestamp;
import io.raid5d.core.superblock.MdUuid;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The md superblocks of a running array and the rules for changing them: dirty (events+1,
 * resync_offset 0) before the first write may reach a member, clean (events+1, resync_offset
 * all-ones, or the resync checkpoint) after the last write is durable. Every change is
 * written to every member and synced before the method returns.
 *
 * <p>Lock: the object's monitor guards {@code superblocks}; state changes are rare.
 */
public final class ArrayMetadata {
    /** resync_offset value meaning "in sync": all ones. */
    public static final long IN_SYNC = -1L;

    private final MemberSet members;
    private final Superblock[] superblocks; // by role; guarded by this
    private WriteIntentLog bitmap; // the write-intent log: md updates it before the superblocks; guarded by this

    public ArrayMetadata(MemberSet members, List<Superblock> byRole, WriteIntentLog bitmap) {
        this.members = members;
        this.superblocks = byRole.toArray(new Superblock[0]);
        this.bitmap = bitmap;
    }

    /** The array's log from now on (the array wraps the assembled log to make it switchable). */
    synchronized void useLog(WriteIntentLog log) {
        this.bitmap = log;
    }

    /** Copies of the superblocks, by role. */
    public synchronized List<Superblock> superblocks() {
        List<Superblock> out = new java.util.ArrayList<>(superblocks.length);
        for (Superblock sb : superblocks) {
            out.add(sb.copy());
        }
        return out;
    }

    /**
     * A new write-intent bitmap takes over (grow --bitmap): {@code next} (already complete and
     * durable) records the new events first, then every superblock says where the bitmap is:
     * {@code internalBitmapOffset} sectors after the superblock (bitmap feature bit set), or,
     * with 0, nowhere (feature bit clear: no bitmap, or a file md is told of at assembly).
     */
    public synchronized void switchBitmap(WriteIntentLog next, int internalBitmapOffset) throws IOException {
        long events = superblocks[0].getEvents() + 1;
        next.recordEvents(events);
        for (Superblock sb : superblocks) {
            if (internalBitmapOffset != 0) {
                sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_BITMAP_OFFSET);
                sb.setBitmapOffset(internalBitmapOffset);
            } else {
                sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_BITMAP_OFFSET);
                sb.setBitmapOffset(0);
            }
        }
        writeAll(events, superblocks[0].getResyncOffset());
    }

    /** Member sector from which a resync must run; {@code Long.MAX_VALUE} if the array is in sync. */
    public synchronized long resyncStartSector() {
        long offset = superblocks[0].getResyncOffset();
        return offset == IN_SYNC ? Long.MAX_VALUE : offset;
    }

    public synchronized long events() {
        return superblocks[0].getEvents();
    }

    public synchronized String uuidString() {
        return MdUuid.format(superblocks[0].getSetUuid());
    }

    /** Before the first write: the bitmap header, then every superblock, say dirty with events+1. */
    public synchronized void markActive() throws IOException {
        long events = superblocks[0].getEvents() + 1;
        bitmap.recordEvents(events);
        writeAll(events, 0);
    }

    /**
     * After the last write is durable: the bitmap clears what it may (md_bitmap_flush) and takes
     * the new events, then the superblocks say clean (or record the resync checkpoint).
     *
     * @param inSyncUpTo member sectors known consistent from the start; {@code Long.MAX_VALUE} for all
     */
    public synchronized void markStopped(long inSyncUpTo) throws IOException {
        long events = superblocks[0].getEvents() + 1;
        boolean inSync = inSyncUpTo >= members.geometry().memberSectors();
        bitmap.flushForCleanStop();
        bitmap.recordEvents(events);
        writeAll(events, inSync ? IN_SYNC : inSyncUpTo);
    }

    private void writeAll(long events, long resyncOffset) throws IOException {
        long now = MdTimestamp.fromInstant(Instant.now());
        for (int role = 0; role < superblocks.length; role++) {
            Superblock sb = superblocks[role];
            sb.setEvents(events);
            sb.setResyncOffset(resyncOffset);
            sb.setUtime(now);
            SuperblockIo.write(members.member(role), sb);
        }
        members.syncAll();
    }
}
