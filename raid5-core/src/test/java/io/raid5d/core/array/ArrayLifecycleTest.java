package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Superblocks dirty while running and clean after a clean stop; resync after an unclean one. */
class ArrayLifecycleTest {
    private static final int CHUNK = 16 * 1024;

    @Test
    void dirtyWhileRunningCleanAfterStop(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "d", 4, CHUNK, 2L << 20);
        long eventsBefore = superblock(paths.get(0)).getEvents();
        Raid5Array array = ArrayAssembler.assemble("d", names(paths), 2);
        for (Path p : paths) {
            Superblock sb = superblock(p);
            assertFalse(sb.isClean(), p + " should be dirty while the array runs");
            assertEquals(eventsBefore + 1, sb.getEvents());
        }
        assertTrue(bitmapBits(paths.get(0)) > 0);
        assertEquals(0, dirtyBits(paths.get(0)), "a clean array starts with no bit set");
        array.write(12345, ByteBuffer.allocate(70000), false).get();
        for (Path p : paths) {
            assertEquals(1, dirtyBits(p), "the written chunk's bit is on every member once the write completed");
        }
        array.close();
        for (Path p : paths) {
            Superblock sb = superblock(p);
            assertTrue(sb.isClean(), p + " should be clean after a clean stop");
            assertEquals(eventsBefore + 2, sb.getEvents());
        }
        assertEquals(0, dirtyBits(paths.get(0)));
    }

    @Test
    void uncleanStopIsResyncedOnNextAssembly(@TempDir Path dir) throws Exception {
        // Not assume-clean, and random member contents: parity is wrong everywhere.
        List<Path> paths = TestArrays.create(dir, "r", 4, CHUNK, 2L << 20, Layout.LEFT_SYMMETRIC, false,
                NewArrayPlan.BitmapKind.INTERNAL);
        Random random = new Random(3);
        byte[] junk = new byte[2 << 20];
        for (Path p : paths) {
            random.nextBytes(junk);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.seek(1 << 20); // data offset 2048 sectors
                f.write(junk);
            }
        }
        assertTrue(TestArrays.mismatchedSectors(paths) > 0);
        Raid5Array array = ArrayAssembler.assemble("r", names(paths), 2);
        byte[] before = Raid5ArrayModelTest.readAll(array); // data is served while the resync runs
        array.awaitResync();
        ArrayStatus s = array.status();
        assertEquals(s.memberSectors(), s.resyncDoneSectors());
        assertEquals("active", s.state());
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, Raid5ArrayModelTest.readAll(array),
                "resync rewrites parity, never data");
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
        assertTrue(superblock(paths.get(0)).isClean());
    }

    @Test
    void stopDuringResyncRecordsTheCheckpoint(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "c", 3, CHUNK, 8L << 20, Layout.LEFT_SYMMETRIC, false,
                NewArrayPlan.BitmapKind.NONE);
        Raid5Array array = ArrayAssembler.assemble("c", names(paths), 2);
        array.close(); // most likely mid-resync; either way the superblock says where to go on
        Superblock sb = superblock(paths.get(0));
        long memberSectors = sb.getSize();
        if (!sb.isClean()) {
            assertTrue(sb.getResyncOffset() < memberSectors);
        }
        Raid5Array again = ArrayAssembler.assemble("c", names(paths), 2);
        again.awaitResync();
        again.close();
        assertTrue(superblock(paths.get(0)).isClean());
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    /** Reads the superblock bytes directly: the running array holds the member itself. */
    static Superblock superblock(Path p) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer area = ByteBuffer.allocate(4096);
            ch.read(area, Superblock.SUPER_OFFSET_BYTES);
            return Superblock.decode(area.clear());
        }
    }

    private static long bitmapBits(Path p) throws Exception {
        return bitmapHeader(p).bitCount();
    }

    private static BitmapSuperblock bitmapHeader(Path p) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer header = ByteBuffer.allocate(BitmapSuperblock.SIZE);
            ch.read(header, SuperblockIo.internalBitmapByteOffset(superblock(p)));
            return BitmapSuperblock.decode(header.clear());
        }
    }

    private static long dirtyBits(Path p) throws Exception {
        BitmapSuperblock bsb = bitmapHeader(p);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer bits = ByteBuffer.allocate((int) bsb.bitsBytes());
            ch.read(bits, SuperblockIo.internalBitmapByteOffset(superblock(p)) + BitmapSuperblock.SIZE);
            return BitmapBits.countDirty(bits.clear(), bsb.bitCount());
        }
    }
}
