package io.raid5d.core.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.bitmap.WriteIntentBitmap;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.superblock.NewArrayPlan;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real write-intent bitmap under degraded mode, in real time with a 1 s daemon_sleep: bits
 * set by writes are cleared lazily once idle; while a member is away they stay set (they are what
 * its re-add recovers from); the re-add copies only the chunks written meanwhile; once whole again
 * the bits clear.
 */
class BitmapDegradedTest {
    private static final int MEMBERS = 5;
    private static final int CHUNK = 16 * 1024;
    private static final long USED = 2L << 20;
    private static final int BITMAP_CHUNK = 64 * 1024;

    @Test
    void bitsClearWhenIdleStaySetWhileDegradedAndDriveTheReAdd(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir);
        List<MemberDevice> devices = new ArrayList<>();
        for (Path p : paths) {
            devices.add(new FaultInjectingMemberDevice(MemberDevices.open(p, false)));
        }
        Raid5Array array = ArrayAssembler.assembleDevices("bd", devices, ArrayOptions.defaults().withIoThreads(4));
        WriteIntentBitmap bitmap = ((BitmapWriteIntentLog) array.writeIntentLog().current()).bitmap();
        byte[] model = new byte[(int) array.sizeBytes()];
        Random r = new Random(4);
        try {
            for (int i = 0; i < 30; i++) {
                write(array, model, r.nextInt(model.length - 9000), r, 9000);
            }
            assertTrue(bitmap.setBitCount() > 0, "writes set bits");
            awaitBits(bitmap, 0, "idle bits are cleared after two daemon passes");

            array.failMember(paths.get(1).toString());
            array.removeMember(paths.get(1).toString());
            // ~1% of the array, in a few known places.
            Set<Long> dirtyChunks = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                int at = (r.nextInt(model.length / 4096)) * 4096;
                write(array, model, at, r, 4096);
            }
            dirtyChunks.addAll(chunksWithBits(bitmap));
            assertTrue(!dirtyChunks.isEmpty() && dirtyChunks.size() < bitmap.chunkCount() / 2, "dirty " + dirtyChunks);
            Thread.sleep(3500); // more than two daemon periods
            assertEquals(dirtyChunks, chunksWithBits(bitmap), "nothing is cleared while degraded");

            FaultInjectingMemberDevice back = new FaultInjectingMemberDevice(MemberDevices.open(paths.get(1), false));
            array.reAddMember(back);
            array.awaitRebuild();
            long copied = back.bytesWritten();
            // The dirty chunks' rows, plus the superblock and a whole bitmap copy.
            assertTrue(copied <= (long) dirtyChunks.size() * BITMAP_CHUNK + (64 << 10),
                    copied + " bytes written for " + dirtyChunks.size() + " dirty bitmap chunks");
            assertArrayEquals(model, readAll(array));
            awaitBits(bitmap, 0, "whole again: the bits clear");
        } finally {
            array.close();
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    private static void write(Raid5Array array, byte[] model, int at, Random r, int len) {
        byte[] data = new byte[len];
        r.nextBytes(data);
        array.write(at, ByteBuffer.wrap(data), false).join();
        System.arraycopy(data, 0, model, at, len);
    }

    private static byte[] readAll(Raid5Array array) {
        ByteBuffer all = ByteBuffer.allocate((int) array.sizeBytes());
        array.read(0, all).join();
        return all.array();
    }

    private static Set<Long> chunksWithBits(WriteIntentBitmap bitmap) {
        Set<Long> set = new HashSet<>();
        for (long c = 0; c < bitmap.chunkCount(); c++) {
            if (bitmap.isBitSet(c)) {
                set.add(c);
            }
        }
        return set;
    }

    private static void awaitBits(WriteIntentBitmap bitmap, long want, String why) throws InterruptedException {
        for (int i = 0; i < 100 && bitmap.setBitCount() != want; i++) {
            Thread.sleep(100);
        }
        assertEquals(want, bitmap.setBitCount(), why);
    }

    /** A clean array with 64 KiB bitmap chunks and a 1 s daemon_sleep. */
    private static List<Path> create(Path dir) throws Exception {
        return TestArrays.create(dir, "bd", MEMBERS, USED + (1 << 20), new NewArrayPlan.Request().name("bd")
                .raidDisks(MEMBERS).chunkBytes(CHUNK).requestedSizeBytes(USED).bitmap(NewArrayPlan.BitmapKind.INTERNAL)
                .bitmapChunkBytes(BITMAP_CHUNK).daemonSleepSeconds(1).assumeClean(true));
    }
}
