package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many "stripes" start, wait for their batch, write, and end, while others unplug and the daemon
 * clears as fast as its (fake) clock lets it. While a stripe "writes members" its chunks' bits must
 * be durable, whatever the interleaving: that is the write-intent invariant.
 */
class ConcurrencyTest {
    private static final long BOUND_S = 120;
    private static final int THREADS = 8;
    private static final int WRITES_PER_THREAD = 3000;
    /** Few chunks, so stripes collide on chunks and pages and the daemon races the writers. */
    private static final long HOT_CHUNKS = 64;

    @Test
    void durableBitsCoverEveryWriteInFlight() throws Exception {
        FakeClock clock = new FakeClock();
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        ExecutorService writer = Executors.newFixedThreadPool(2); // two writer threads: batches must still serialise
        ExecutorService workers = Executors.newFixedThreadPool(THREADS + 2);
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(clock, writer));
        AtomicLong lastReleased = new AtomicLong();
        List<String> violations = new ArrayList<>();
        bm.setBatchListener(batch -> {
            long before = lastReleased.getAndSet(batch);
            if (batch <= before) {
                synchronized (violations) {
                    violations.add("batch " + batch + " released after " + before);
                }
            }
        });
        Set<Long> failedChunks = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong daemonPasses = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> tasks = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                long seed = 1000 + t;
                tasks.add(workers.submit(() -> {
                    go.await();
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int i = 0; i < WRITES_PER_THREAD; i++) {
                        long chunk = rnd.nextLong(HOT_CHUNKS) * 521 % TestBitmaps.CHUNKS; // spread over both pages
                        long sectors = rnd.nextInt(4) == 0 ? 16 : 8; // some span two chunks
                        long start = sector(chunk);
                        if (start + sectors > sector(TestBitmaps.CHUNKS)) {
                            sectors = 8;
                        }
                        long seq;
                        while ((seq = bm.startWrite(start, sectors)) == WriteIntentBitmap.MUST_WAIT) {
                            bm.whenStartable(start, sectors).get(BOUND_S, TimeUnit.SECONDS);
                        }
                        if (rnd.nextBoolean()) {
                            bm.unplug();
                        }
                        bm.batchWritten(seq).get(BOUND_S, TimeUnit.SECONDS);
                        // "member writes" happen now: every chunk of the range must be durably marked
                        for (long c = bm.chunkOf(start); c <= bm.chunkOf(start + sectors - 1); c++) {
                            if (!store.durableBitSet(c)) {
                                synchronized (violations) {
                                    violations.add("chunk " + c + " written to members in batch " + seq
                                            + " without its durable bit");
                                }
                            }
                        }
                        boolean success = rnd.nextInt(200) != 0;
                        if (!success) {
                            for (long c = bm.chunkOf(start); c <= bm.chunkOf(start + sectors - 1); c++) {
                                failedChunks.add(c);
                            }
                        }
                        bm.endWrite(start, sectors, success, false);
                    }
                    return null;
                }));
            }
            tasks.add(workers.submit(() -> { // an unplugger, like the stripe handler's loop
                go.await();
                while (!stop.get()) {
                    bm.unplug();
                    Thread.onSpinWait();
                }
                return null;
            }));
            tasks.add(workers.submit(() -> { // the daemon, with a clock that always allows a pass
                go.await();
                while (!stop.get()) {
                    clock.advanceSeconds(5);
                    if (bm.daemonPass()) {
                        daemonPasses.incrementAndGet();
                    }
                }
                return null;
            }));
            go.countDown();
            for (int t = 0; t < THREADS; t++) {
                tasks.get(t).get(BOUND_S, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            for (Future<?> f : tasks) {
                f.get(BOUND_S, TimeUnit.SECONDS);
            }
            workers.shutdown();
        }
        synchronized (violations) {
            assertTrue(violations.isEmpty(), violations.size() + " violations, first: "
                    + (violations.isEmpty() ? "" : violations.get(0)));
        }
        assertTrue(daemonPasses.get() > 0);
        assertEquals(0, bm.writesInFlight(), "balanced");
        assertEquals(null, bm.failure());

        // everything idle: all that may be cleared is cleared, failed chunks stay
        bm.unplug().get(BOUND_S, TimeUnit.SECONDS);
        assertEquals(failedChunks.size(), bm.clearIdleBits());
        for (long c = 0; c < TestBitmaps.CHUNKS; c++) {
            assertEquals(failedChunks.contains(c), store.durableBitSet(c), "chunk " + c);
        }
        bm.close();
        writer.shutdown();
        assertTrue(writer.awaitTermination(BOUND_S, TimeUnit.SECONDS));
        assertFalse(failedChunks.isEmpty(), "the run included failed writes");
    }
}
