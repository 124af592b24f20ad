package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.bitmap.FileBitmapStore;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.intent.AlwaysWrittenLog;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grow --bitmap while random writes run: the array switches internal -> none -> file -> internal;
 * every read matches a plain byte-array model, every log that was switched away from ended with
 * startWrite/endWrite balanced and was closed (the file's lock released), and afterwards the
 * parity of every row is consistent and the superblocks name the last bitmap.
 */
class BitmapSwitchModelTest {
    private static final int CHUNK = 16 * 1024;
    private static final long MEMBER_BYTES = 4L << 20;
    private static final int MEMBERS = 4;
    private static final int THREADS = 4;

    @Test
    void switchingBitmapsUnderRandomWritesKeepsDataParityAndBalance(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "sw", MEMBERS, CHUNK, MEMBER_BYTES, Layout.LEFT_SYMMETRIC, true,
                NewArrayPlan.BitmapKind.INTERNAL);
        Path file = dir.resolve("sw.bitmap");
        Raid5Array array = ArrayAssembler.assemble("sw", names(paths), ArrayOptions.defaults().withIoThreads(4));
        int size = (int) array.sizeBytes();
        int slice = size / THREADS / 4096 * 4096;
        byte[] model = new byte[size];
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int base = t * slice;
            long seed = 17 + t;
            writers.add(pool.submit(() -> {
                Random r = new Random(seed);
                int ops = 0;
                while (running.get() || ops < 50) {
                    int len = 1 + r.nextInt(r.nextBoolean() ? 3 * CHUNK : 3000);
                    int at = base + r.nextInt(slice - len);
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    array.write(at, ByteBuffer.wrap(data), r.nextInt(10) == 0).get(60, TimeUnit.SECONDS);
                    System.arraycopy(data, 0, model, at, len); // each thread owns its slice
                    if (r.nextInt(4) == 0) {
                        int rl = 1 + r.nextInt(2 * CHUNK);
                        int ra = base + r.nextInt(slice - rl);
                        ByteBuffer got = ByteBuffer.allocate(rl);
                        array.read(ra, got).get(60, TimeUnit.SECONDS);
                        byte[] want = new byte[rl];
                        System.arraycopy(model, ra, want, 0, rl);
                        assertArrayEquals(want, got.array(), "read at " + ra + "+" + rl);
                    }
                    ops++;
                }
                return ops;
            }));
        }
        List<WriteIntentLog> retired = new ArrayList<>();
        try {
            assertEquals("internal", array.bitmapLocation());
            for (String step : List.of("none", file.toString(), "internal")) {
                Thread.sleep(150); // let writes pile up under the current log
                WriteIntentLog before = array.writeIntentLog().current();
                array.switchWriteIntentLog(BitmapTarget.parse(step));
                retired.add(before);
                assertEquals(step, array.bitmapLocation());
            }
            Thread.sleep(150);
        } finally {
            running.set(false);
        }
        for (Future<Integer> w : writers) {
            assertTrue(w.get(2, TimeUnit.MINUTES) >= 50);
        }
        pool.shutdown();
        array.writeIntentLog().awaitDrained();
        for (WriteIntentLog old : retired) {
            if (old instanceof BitmapWriteIntentLog b) {
                assertEquals(0, b.bitmap().writesInFlight(), "balance of " + b.location());
            } else {
                assertEquals(0, assertInstanceOf(AlwaysWrittenLog.class, old).outstanding(), "balance of none");
            }
        }
        // the file bitmap was closed when it drained: its lock is free again
        FileBitmapStore.open(file).close();

        byte[] all = new byte[size];
        array.read(0, ByteBuffer.wrap(all)).get(60, TimeUnit.SECONDS);
        assertArrayEquals(model, all, "whole array after the switches");
        array.close();

        assertParityConsistent(paths);
        for (Path p : paths) {
            try (MemberDevice d = MemberDevices.open(p, true)) {
                Superblock sb = SuperblockIo.read(d);
                assertTrue(sb.hasBitmap(), p + " names the internal bitmap");
                assertEquals(NewArrayPlan.INTERNAL_BITMAP_OFFSET, sb.getBitmapOffset());
                assertTrue(sb.isClean());
            }
        }
        Raid5Array again = ArrayAssembler.assemble("sw", names(paths), ArrayOptions.defaults());
        try {
            assertEquals("internal", again.bitmapLocation());
            byte[] after = new byte[size];
            again.read(0, ByteBuffer.wrap(after)).get(60, TimeUnit.SECONDS);
            assertArrayEquals(model, after, "data after reassembly");
        } finally {
            again.close();
        }
    }

    @Test
    void refusesWhatMdRefuses(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "rf", MEMBERS, CHUNK, MEMBER_BYTES, Layout.LEFT_SYMMETRIC, true,
                NewArrayPlan.BitmapKind.INTERNAL);
        Raid5Array array = ArrayAssembler.assemble("rf", names(paths), ArrayOptions.defaults());
        try {
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                    () -> array.switchWriteIntentLog(BitmapTarget.parse("internal")));
            assertTrue(twice.getMessage().contains("already has that bitmap (internal)"), twice.getMessage());
            array.switchWriteIntentLog(BitmapTarget.parse("none"));
            assertThrows(IllegalArgumentException.class, () -> array.switchWriteIntentLog(BitmapTarget.parse("none")));
            Files.writeString(dir.resolve("taken.bitmap"), "x");
            IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                    () -> array.switchWriteIntentLog(BitmapTarget.parse(dir.resolve("taken.bitmap").toString())));
            assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
            assertEquals("none", array.bitmapLocation());
        } finally {
            array.close();
        }
    }

    @Test
    void refusesAnInternalBitmapWithoutRoomBeforeTheData(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "nr", MEMBERS, CHUNK, MEMBER_BYTES, Layout.LEFT_SYMMETRIC, true,
                NewArrayPlan.BitmapKind.NONE);
        // Squeeze the metadata area: data right after the superblock's 4 KiB (as an old array may have it).
        for (Path p : paths) {
            try (MemberDevice d = MemberDevices.open(p, false)) {
                Superblock sb = SuperblockIo.read(d);
                sb.setBblogSize(0);
                sb.setBblogOffset(0);
                sb.setDataOffset(Superblock.V12_SUPER_OFFSET + NewArrayPlan.INTERNAL_BITMAP_OFFSET);
                SuperblockIo.write(d, sb);
            }
        }
        Raid5Array array = ArrayAssembler.assemble("nr", names(paths), ArrayOptions.defaults());
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> array.switchWriteIntentLog(BitmapTarget.parse("internal")));
            assertTrue(e.getMessage().contains("no room for an internal bitmap"), e.getMessage());
            assertEquals("none", array.bitmapLocation());
        } finally {
            array.close();
        }
    }

    /** RAID-5 in any layout: the XOR of all members over the data area is zero. */
    static void assertParityConsistent(List<Path> paths) throws Exception {
        List<byte[]> data = new ArrayList<>();
        long used = 0;
        for (Path p : paths) {
            try (MemberDevice d = MemberDevices.open(p, true)) {
                Superblock sb = SuperblockIo.read(d);
                used = sb.getSize() * 512;
                ByteBuffer b = ByteBuffer.allocate((int) used);
                d.read(sb.getDataOffset() * 512, b);
                data.add(b.array());
            }
        }
        for (int i = 0; i < used; i++) {
            int x = 0;
            for (byte[] m : data) {
                x ^= m[i];
            }
            if (x != 0) {
                throw new AssertionError("parity inconsistent at member byte " + i);
            }
        }
    }
}
