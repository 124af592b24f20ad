package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.superblock.NewArrayPlan;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine against a plain byte array: random unaligned reads and writes from many threads,
 * then every byte and every row's parity is checked, before and after a stop and reassembly.
 */
class Raid5ArrayModelTest {
    private static final int CHUNK = 16 * 1024;
    private static final long MEMBER_BYTES = 4L << 20;

    /**
     * Threads own interleaved byte ranges ("granules") so each can check its own reads against
     * the model, while neighbouring granules share chunk rows: concurrent read-modify-writes of
     * one row by different threads are what the row lock must keep consistent.
     */
    @RepeatedTest(3)
    void concurrentRandomIoMatchesModelAndKeepsParity(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "m", 5, CHUNK, MEMBER_BYTES);
        Raid5Array array = ArrayAssembler.assemble("m", names(paths), 4);
        int size = (int) array.sizeBytes();
        byte[] model = new byte[size];
        int threads = 8;
        int granule = 5000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            done.add(pool.submit(() -> {
                Random r = new Random(1234 + me);
                int granules = size / granule;
                for (int op = 0; op < 600; op++) {
                    int g = r.nextInt(granules / threads) * threads + me;
                    if (g >= granules) {
                        continue;
                    }
                    int start = g * granule + r.nextInt(granule);
                    int len = 1 + r.nextInt(g * granule + granule - start);
                    if (r.nextBoolean()) {
                        byte[] data = new byte[len];
                        r.nextBytes(data);
                        ByteBuffer src = ByteBuffer.allocateDirect(len).put(data).flip();
                        array.write(start, src, r.nextInt(10) == 0).get(30, TimeUnit.SECONDS);
                        System.arraycopy(data, 0, model, start, len);
                    } else {
                        ByteBuffer dst = ByteBuffer.allocateDirect(len);
                        array.read(start, dst).get(30, TimeUnit.SECONDS);
                        byte[] got = new byte[len];
                        dst.get(got);
                        byte[] want = new byte[len];
                        System.arraycopy(model, start, want, 0, len);
                        assertArrayEquals(want, got, "read at " + start + "+" + len);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertArrayEquals(model, readAll(array));
        array.close();

        assertEquals(0, TestArrays.mismatchedSectors(paths));
        Raid5Array again = ArrayAssembler.assemble("m", names(paths), 2);
        try {
            assertArrayEquals(model, readAll(again));
        } finally {
            again.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void fullRowAndPartialWritesInEveryLayout(Layout layout, @TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "l", 4, CHUNK, 1L << 20, layout, true, NewArrayPlan.BitmapKind.NONE);
        Raid5Array array = ArrayAssembler.assemble("l", names(paths), 2);
        byte[] model = new byte[(int) array.sizeBytes()];
        Random r = new Random(layout.ordinal());
        int row = 3 * CHUNK;
        for (int i = 0; i < 40; i++) {
            int start = i % 2 == 0 ? r.nextInt(model.length / row) * row : r.nextInt(model.length - 1);
            int len = Math.min(model.length - start, i % 2 == 0 ? row * (1 + r.nextInt(3)) : 1 + r.nextInt(3 * row));
            byte[] data = new byte[len];
            r.nextBytes(data);
            array.write(start, ByteBuffer.wrap(data), false).get();
            System.arraycopy(data, 0, model, start, len);
        }
        assertArrayEquals(model, readAll(array));
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void trimReadsAsZerosAndKeepsParity(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "t", 3, CHUNK, 1L << 20);
        Raid5Array array = ArrayAssembler.assemble("t", names(paths), 2);
        byte[] data = new byte[(int) array.sizeBytes()];
        new Random(5).nextBytes(data);
        array.write(0, ByteBuffer.wrap(data), false).get();
        array.trim(10_000, 100_000).get();
        java.util.Arrays.fill(data, 10_000, 110_000, (byte) 0);
        assertArrayEquals(data, readAll(array));
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    /** Counted per stripe head: one 4 KiB page per member; a 16 KiB chunk row is 4 heads wide. */
    @Test
    void choosesReadModifyWriteOnlyWhenItNeedsFewerReads(@TempDir Path dir) throws Exception {
        List<Path> wide = TestArrays.create(dir, "w", 8, CHUNK, 1L << 20);
        Raid5Array array = ArrayAssembler.assemble("w", names(wide), 2);
        array.write(4096, ByteBuffer.allocate(4096), true).get(); // 1 page of 7: rmw 2 reads, rcw 6
        assertEquals(1, array.readModifyWrites());
        assertEquals(0, array.reconstructWrites());
        array.write(7L * CHUNK, ByteBuffer.allocate(7 * CHUNK), true).get(); // a whole row: 4 heads, no reads
        assertEquals(4, array.reconstructWrites());
        // 6 chunks + 10 bytes: per head rcw reads 1 page, rmw 6 or 7: reconstruct-write on all 4 heads
        array.write(0, ByteBuffer.allocate(6 * CHUNK + 10), true).get();
        assertEquals(8, array.reconstructWrites());
        assertEquals(1, array.readModifyWrites());
        array.close();

        List<Path> narrow = TestArrays.create(dir, "n", 3, CHUNK, 1L << 20);
        Raid5Array small = ArrayAssembler.assemble("n", names(narrow), 2);
        small.write(100, ByteBuffer.allocate(100), true).get(); // rmw 2 reads = rcw 2 reads: md takes rcw
        assertEquals(0, small.readModifyWrites());
        assertEquals(1, small.reconstructWrites());
        small.close();
    }

    @Test
    void outOfRangeRequestsAreRefusedBeforeAnyIo(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "o", 3, CHUNK, 1L << 20);
        Raid5Array array = ArrayAssembler.assemble("o", names(paths), 2);
        try {
            long size = array.sizeBytes();
            org.junit.jupiter.api.Assertions.assertThrows(ArrayRangeException.class,
                    () -> array.write(size - 10, ByteBuffer.allocate(11), false));
            org.junit.jupiter.api.Assertions.assertThrows(ArrayRangeException.class,
                    () -> array.read(-1, ByteBuffer.allocate(1)));
            org.junit.jupiter.api.Assertions.assertThrows(ArrayRangeException.class,
                    () -> array.trim(Long.MAX_VALUE, 10));
            assertTrue(array.read(size - 10, ByteBuffer.allocate(10)).get() == null);
        } finally {
            array.close();
        }
    }

    static byte[] readAll(Raid5Array array) throws Exception {
        ByteBuffer all = ByteBuffer.allocateDirect((int) array.sizeBytes());
        array.read(0, all).get();
        byte[] b = new byte[all.capacity()];
        all.get(b);
        return b;
    }

}
