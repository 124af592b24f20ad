package io.raid5d.core.array;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The internal md bitmap kept in the simplest safe way until the write-intent bitmap engine
 * replaces it: every bit is set on every member while the array is writable, and all are
 * cleared after a clean stop. After a crash every chunk is marked, so md (or raid5d) resyncs
 * everything: never wrong, only slow.
 */
public final class ConservativeBitmap {
    private final MemberSet members;
    private final long bitmapAddress; // bytes from the member start: superblock + bitmap_offset
    private final BitmapSuperblock header;

    private ConservativeBitmap(MemberSet members, long bitmapAddress, BitmapSuperblock header) {
        this.members = members;
        this.bitmapAddress = bitmapAddress;
        this.header = header;
    }

    /** Reads (and checks against the array's UUID) the bitmap header of the member in role 0. */
    public static ConservativeBitmap load(MemberSet members, Superblock sb) throws IOException {
        try {
            return new ConservativeBitmap(members, SuperblockIo.internalBitmapByteOffset(sb),
                    SuperblockIo.readInternalBitmap(firstPresent(members), sb));
        } catch (SuperblockException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static io.raid5d.core.member.MemberDevice firstPresent(MemberSet members) {
        for (int role = 0; role < members.count(); role++) {
            if (members.slot(role) == MemberSet.Slot.IN_SYNC) {
                return members.member(role);
            }
        }
        throw new IllegalStateException("no member present");
    }

    synchronized void markAllDirty(long events) throws IOException {
        header.setEvents(events);
        write(true);
    }

    synchronized void markAllClean(long events) throws IOException {
        header.setEvents(events);
        header.setEventsCleared(events);
        write(false);
    }

    private void write(boolean dirty) throws IOException {
        long bits = header.bitCount();
        int bytes = (int) ((BitmapSuperblock.SIZE + header.bitsBytes() + 511) / 512 * 512);
        ByteBuffer area = ByteBuffer.allocate(bytes);
        header.encodeInto(area.duplicate());
        ByteBuffer bitsView = area.duplicate().position(BitmapSuperblock.SIZE).slice();
        for (long bit = 0; bit < bits && dirty; bit++) {
            BitmapBits.set(bitsView, bit);
        }
        for (int role = 0; role < members.count(); role++) {
            if (!members.writable(role)) {
                continue; // a lost member's bitmap is not kept
            }
            members.member(role).write(bitmapAddress, area.duplicate());
        }
        members.syncAll();
    }
}
