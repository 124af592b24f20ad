package io.raid5d.core.array;

import io.raid5d.bitmap.FileBitmapStore;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.bitmapstore.InternalBitmapStore;
import io.raid5d.core.intent.AlwaysWrittenLog;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the log a running array switches to ({@code grow --bitmap}): a new bitmap with every
 * bit set and durable before it is returned (so it covers every write, also those an older log
 * still has in flight), on every member's metadata area or in a new file; or no bitmap.
 * The superblocks are not touched here ({@link ArrayMetadata#switchBitmap} does that next).
 */
final class WriteIntentLogBuilder {
    /** The log and the superblocks' bitmap_offset for it (0: no internal bitmap). */
    record Built(WriteIntentLog log, int internalBitmapOffset) {
    }

    private WriteIntentLogBuilder() {
    }

    /**
     * @param resyncOffset member sectors known in sync ({@link ArrayMetadata#IN_SYNC} for all):
     *                     set bits from there on are NEEDED, the rest are cleared lazily
     * @throws IllegalArgumentException when the bitmap cannot be made (no room, file exists)
     */
    static Built build(BitmapTarget target, MemberSet members, List<Superblock> superblocks, long events,
                       long resyncOffset, int daemonSleepSeconds) throws IOException {
        Superblock ref = superblocks.get(0);
        return switch (target.kind()) {
            case NONE -> new Built(new AlwaysWrittenLog(), 0);
            case FILE -> {
                BitmapSuperblock header = header(ref, NewArrayPlan.DEFAULT_BITMAP_CHUNK_BYTES, daemonSleepSeconds, events);
                FileBitmapStore store;
                try {
                    store = FileBitmapStore.create(target.file(), header, true);
                } catch (IOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                try {
                    yield new Built(BitmapWriteIntentLog.open(store, ref, resyncOffset), 0);
                } catch (IOException | RuntimeException e) {
                    store.close();
                    throw e;
                }
            }
            case INTERNAL -> buildInternal(members, superblocks, events, resyncOffset, daemonSleepSeconds);
        };
    }

    /**
     * The bitmap chunk an internal bitmap for the array the superblocks describe would have
     * (checked before anything is written or closed).
     *
     * @throws IllegalArgumentException when there is no room for it before the data
     */
    static long internalChunk(MemberSet members, List<Superblock> superblocks) {
        return Room.of(members, superblocks).chunk(superblocks.get(0));
    }

    /** The least room any member has between its superblock and its data (sectors), and whose it is. */
    private record Room(long sectors, String tightest) {
        static Room of(MemberSet members, List<Superblock> superblocks) {
            long room = Long.MAX_VALUE;
            String tightest = null;
            for (int role = 0; role < superblocks.size(); role++) {
                long r = NewArrayPlan.internalBitmapRoomSectors(superblocks.get(role));
                if (r < room) {
                    room = r;
                    tightest = members.member(role).path();
                }
            }
            return new Room(room, tightest);
        }

        long chunk(Superblock ref) {
            try {
                return NewArrayPlan.internalBitmapChunk(ref.getSize(), 0, sectors);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("no room for an internal bitmap on " + tightest + ": " + sectors
                        + " sectors between the superblock and the data (data_offset " + ref.getDataOffset() + ")", e);
            }
        }
    }

    private static Built buildInternal(MemberSet members, List<Superblock> superblocks, long events, long resyncOffset,
                                       int daemonSleepSeconds) throws IOException {
        Superblock ref = superblocks.get(0);
        Room free = Room.of(members, superblocks);
        long room = free.sectors();
        String tightest = free.tightest();
        long chunk = free.chunk(ref);
        BitmapSuperblock header = header(ref, chunk, daemonSleepSeconds, events);
        long area = header.areaBytes(4096);
        if (area > room * 512) {
            throw new IllegalArgumentException("no room for an internal bitmap on " + tightest + ": it needs " + area
                    + " bytes, " + room * 512 + " are free before the data");
        }
        ByteBuffer image = ByteBuffer.allocate((int) area);
        header.encodeInto(image);
        while (image.hasRemaining()) {
            image.put((byte) 0xff); // every bit set, as mdadm fills a new bitmap of an unsynced array
        }
        image.flip();
        List<Superblock> withBitmap = new ArrayList<>();
        List<MemberDevice> devices = new ArrayList<>();
        for (int role = 0; role < superblocks.size(); role++) {
            Superblock sb = superblocks.get(role).copy();
            sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_BITMAP_OFFSET);
            sb.setBitmapOffset(NewArrayPlan.INTERNAL_BITMAP_OFFSET);
            MemberDevice dev = members.member(role);
            SuperblockIo.writeInternalBitmap(dev, sb, image);
            withBitmap.add(sb);
            devices.add(dev);
        }
        members.syncAll();
        InternalBitmapStore store = InternalBitmapStore.of(devices, withBitmap);
        return new Built(BitmapWriteIntentLog.open(store, withBitmap.get(0), resyncOffset),
                NewArrayPlan.INTERNAL_BITMAP_OFFSET);
    }

    private static BitmapSuperblock header(Superblock ref, long chunkBytes, int daemonSleepSeconds, long events) {
        return FileBitmapStore.newHeader(ref.getSetUuid(), ref.getSize(), (int) chunkBytes, daemonSleepSeconds, events);
    }
}
