package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The stripe cache engine against a plain byte array, from many threads, with a tiny cache
 * (md's minimum of 17 heads) so requests wait for free heads and heads are recycled all the
 * time, while another thread holds and releases bitmap batches and unplugs at random.
 *
 * <p>The first half of the array is cut into 5000-byte granules owned by threads in turn, so
 * neighbouring threads share stripe heads (partial-page, unaligned writes, RMW and RCW); a
 * thread also sends bursts of overlapping writes without waiting between them, which the
 * engine must apply in order. The second half is owned by chunk rows: threads write whole
 * rows (full-stripe writes that batch with their neighbours) and parts of rows.
 */
class StripeCacheModelTest {
    private static final int CHUNK = 16 * 1024;
    private static final long MEMBER_BYTES = 4L << 20;
    private static final int THREADS = 8;
    private static final int GRANULE = 5000;

    @ParameterizedTest
    @CsvSource({"17, 1", "17, 3", "64, 2"})
    void randomConcurrentIoMatchesModelAndKeepsParity(int cache, int workers, @TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "m", 5, CHUNK, MEMBER_BYTES);
        RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        ArrayOptions options = ArrayOptions.defaults().withStripeCacheSize(cache).withWorkerThreads(workers)
                .withIoThreads(4).withWriteIntentLog((m, s) -> log);
        Raid5Array array = ArrayAssembler.assemble("m", names(paths), options);
        int size = (int) array.sizeBytes();
        int rowBytes = 4 * CHUNK;
        int half = size / 2 / rowBytes * rowBytes;
        byte[] model = new byte[size];
        AtomicBoolean running = new AtomicBoolean(true);
        Thread bitmapChaos = new Thread(() -> {
            Random r = new Random(99);
            while (running.get()) {
                log.hold(r.nextInt(3) == 0);
                if (r.nextBoolean()) {
                    array.unplug();
                }
                sleepMicros(200 + r.nextInt(800));
                log.release();
            }
            log.release();
        });
        bitmapChaos.start();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int me = t;
            done.add(pool.submit(() -> {
                Random r = new Random(1234 + me);
                int granules = half / GRANULE;
                int rows = (size - half) / rowBytes;
                for (int op = 0; op < 400; op++) {
                    int kind = r.nextInt(10);
                    if (kind < 6) { // own granule: single write, burst of overlapping writes, or read
                        int g = r.nextInt(granules / THREADS) * THREADS + me;
                        int gStart = g * GRANULE;
                        if (kind < 3) {
                            writeAndRecord(array, model, r, gStart, GRANULE, 1);
                        } else if (kind < 5) {
                            writeAndRecord(array, model, r, gStart, GRANULE, 2 + r.nextInt(3));
                        } else {
                            check(array, model, r, gStart, GRANULE);
                        }
                    } else { // own chunk row in the second half
                        int row = r.nextInt(rows / THREADS) * THREADS + me;
                        int rStart = half + row * rowBytes;
                        if (kind < 8) {
                            byte[] data = new byte[rowBytes];
                            r.nextBytes(data);
                            array.write(rStart, ByteBuffer.wrap(data), r.nextInt(8) == 0).get(60, TimeUnit.SECONDS);
                            System.arraycopy(data, 0, model, rStart, rowBytes);
                        } else if (kind < 9) {
                            writeAndRecord(array, model, r, rStart, rowBytes, 1 + r.nextInt(2));
                        } else {
                            check(array, model, r, rStart, rowBytes);
                        }
                    }
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            running.set(false);
            bitmapChaos.join();
            pool.shutdown();
        }
        assertArrayEquals(model, Raid5ArrayModelTest.readAll(array));
        assertTrue(array.metrics().reconstructWrites() > 0 && array.metrics().readModifyWrites() > 0,
                "both write methods were exercised");
        assertTrue(array.metrics().batchStripes().count() > 0);
        array.close();
        assertEquals(0, log.outstanding(), "every startWrite matched by an endWrite");
        assertEquals(0, log.unbalancedEnds(), "no endWrite without a startWrite");
        assertEquals(log.count("start"), log.count("end"));
        assertEquals(0, TestArrays.mismatchedSectors(paths));
        Raid5Array again = ArrayAssembler.assemble("m", names(paths), 2);
        try {
            assertArrayEquals(model, Raid5ArrayModelTest.readAll(again));
        } finally {
            again.close();
        }
    }

    /**
     * Sends {@code count} overlapping writes inside [start, start+span) without waiting between
     * them, then waits for all: the array must hold them applied in issue order.
     */
    private static void writeAndRecord(Raid5Array array, byte[] model, Random r, int start, int span, int count)
            throws Exception {
        int a = start + r.nextInt(span);
        int len = 1 + r.nextInt(start + span - a);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int s = i == 0 ? a : a + r.nextInt(len);
            int l = i == 0 ? len : 1 + r.nextInt(a + len - s);
            byte[] data = new byte[l];
            r.nextBytes(data);
            ByteBuffer src = r.nextBoolean() ? ByteBuffer.allocateDirect(l).put(data).flip() : ByteBuffer.wrap(data);
            writes.add(array.write(s, src, r.nextInt(16) == 0));
            System.arraycopy(data, 0, model, s, l);
        }
        if (r.nextBoolean()) {
            array.unplug();
        }
        for (CompletableFuture<Void> w : writes) {
            w.get(60, TimeUnit.SECONDS);
        }
    }

    private static void check(Raid5Array array, byte[] model, Random r, int start, int span) throws Exception {
        int s = start + r.nextInt(span);
        int len = 1 + r.nextInt(start + span - s);
        ByteBuffer dst = ByteBuffer.allocateDirect(len);
        array.read(s, dst).get(60, TimeUnit.SECONDS);
        byte[] got = new byte[len];
        dst.get(got);
        byte[] want = new byte[len];
        System.arraycopy(model, s, want, 0, len);
        assertArrayEquals(want, got, "read at " + s + "+" + len);
    }

    private static void sleepMicros(long micros) {
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
