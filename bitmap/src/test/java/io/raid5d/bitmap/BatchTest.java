package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.raid5d.bitmap.TestBitmaps.FIRST_CHUNK_OF_PAGE_1;
import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** md's seq_flush / seq_write batches: one page write per dirty page per batch, release after sync, in order. */
class BatchTest {
    /** Bounds a wait so a bug hangs no build; never an assertion about speed. */
    private static final long BOUND_S = 60;

    private final ExecutorService writer = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopWriter() throws Exception {
        writer.shutdownNow();
        assertTrue(writer.awaitTermination(BOUND_S, TimeUnit.SECONDS));
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(BOUND_S, TimeUnit.SECONDS), "bounded wait");
    }

    /**
     * Holds the store's page writes ({@code sync} false) or syncs ({@code sync} true) at a gate:
     * {@code reached} opens when the first one arrives, which then waits until {@code open}.
     */
    private record Gate(CountDownLatch reached, CountDownLatch open) {
        static Gate on(MemoryBitmapStore store, boolean sync) {
            Gate g = new Gate(new CountDownLatch(1), new CountDownLatch(1));
            store.setHook(new MemoryBitmapStore.Hook() {
                @Override
                public void beforeWrite(int page) throws IOException {
                    if (!sync) {
                        g.hold();
                    }
                }

                @Override
                public void beforeSync() throws IOException {
                    if (sync) {
                        g.hold();
                    }
                }
            });
            return g;
        }

        private void hold() throws IOException {
            reached.countDown();
            try {
                await(open);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
    }

    private static void get(CompletableFuture<Void> f) throws Exception {
        f.get(BOUND_S, TimeUnit.SECONDS);
    }

    @Test
    void manyStripesShareOneWritePerDirtyPage() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(new FakeClock(), writer));
        List<Long> released = new CopyOnWriteArrayList<>();
        bm.setBatchListener(released::add);
        int stripes = 100;
        for (int i = 0; i < stripes; i++) {
            long chunk = i % 2 == 0 ? i : FIRST_CHUNK_OF_PAGE_1 + i;
            assertEquals(1, bm.startWrite(sector(chunk), 8), "all join the open batch 1");
        }
        assertEquals(0, store.totalPageWrites(), "nothing written before the unplug");
        CompletableFuture<Void> f = bm.unplug();
        get(f);
        assertTrue(bm.isWritten(1));
        assertEquals(1, bm.writtenBatch());
        assertEquals(1, store.pageWrites(0));
        assertEquals(1, store.pageWrites(1));
        assertEquals(1, store.syncs());
        for (int i = 0; i < stripes; i++) {
            long chunk = i % 2 == 0 ? i : FIRST_CHUNK_OF_PAGE_1 + i;
            assertTrue(store.durableBitSet(chunk), "chunk " + chunk);
        }
        assertEquals(List.of(1L), released);

        // nothing new: an unplug writes nothing and opens no batch
        get(bm.unplug());
        assertEquals(2, store.totalPageWrites());
        assertEquals(2, bm.openBatch());

        // writes whose bits are already durable: the batch is released without I/O
        assertEquals(2, bm.startWrite(sector(0), 8));
        CompletableFuture<Void> noIo = bm.unplug();
        assertTrue(noIo.isDone());
        assertTrue(bm.isWritten(2));
        assertEquals(2, store.totalPageWrites());
        assertEquals(1, store.syncs());
        assertEquals(List.of(1L, 2L), released);

        for (int i = 0; i < stripes; i++) {
            long chunk = i % 2 == 0 ? i : FIRST_CHUNK_OF_PAGE_1 + i;
            bm.endWrite(sector(chunk), 8, true, false);
        }
        bm.endWrite(sector(0), 8, true, false);
        bm.close();
    }

    @Test
    void waitersAreReleasedOnlyAfterTheSync() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        Gate sync = Gate.on(store, true);
        CountDownLatch inSync = sync.reached();
        CountDownLatch syncGate = sync.open();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(new FakeClock(), writer));
        long seq = bm.startWrite(sector(5), 8);
        CompletableFuture<Void> waiter = bm.batchWritten(seq);
        CompletableFuture<Void> f = bm.unplug();
        await(inSync); // the page is written, the sync has not returned
        assertEquals(1, store.pageWrites(0));
        assertFalse(store.durableBitSet(5));
        assertFalse(f.isDone());
        assertFalse(waiter.isDone());
        assertFalse(bm.isWritten(seq));
        syncGate.countDown();
        get(f);
        get(waiter);
        assertTrue(store.durableBitSet(5));
        assertTrue(bm.isWritten(seq));
        assertSame(f.isDone(), true);
        bm.endWrite(sector(5), 8, true, false);
        bm.close();
    }

    @Test
    void aWriteInBatchKIsNotReleasedByBatchKMinusOne() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        Gate writes = Gate.on(store, false);
        CountDownLatch writing = writes.reached();
        CountDownLatch gate = writes.open();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(new FakeClock(), writer));
        List<Long> released = new CopyOnWriteArrayList<>();
        bm.setBatchListener(released::add);

        long a = bm.startWrite(sector(1), 8);
        assertEquals(1, a);
        CompletableFuture<Void> batchA = bm.unplug();
        await(writing); // batch 1 is closed and being written
        long b = bm.startWrite(sector(2), 8); // a new bit in the same page
        long c = bm.startWrite(sector(1), 8); // a bit already set in memory, not yet durable
        assertEquals(2, b);
        assertEquals(2, c);
        CompletableFuture<Void> batchB = bm.batchWritten(b);
        gate.countDown();
        get(batchA);
        assertTrue(bm.isWritten(1));
        assertFalse(bm.isWritten(2), "batch 2 is not closed yet");
        assertFalse(batchB.isDone());
        assertFalse(store.durableBitSet(2));

        get(bm.unplug());
        get(batchB);
        assertTrue(store.durableBitSet(1));
        assertTrue(store.durableBitSet(2));
        assertEquals(2, store.pageWrites(0), "one write per batch");
        assertEquals(List.of(1L, 2L), released);
        bm.endWrite(sector(1), 8, true, false);
        bm.endWrite(sector(2), 8, true, false);
        bm.endWrite(sector(1), 8, true, false);
        bm.close();
    }

    @Test
    void anUnplugDuringABatchQueuesTheNextBatchBehindIt() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        Gate writes = Gate.on(store, false);
        CountDownLatch writing = writes.reached();
        CountDownLatch gate = writes.open();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(new FakeClock(), writer));
        bm.startWrite(sector(1), 8);
        CompletableFuture<Void> first = bm.unplug();
        await(writing);
        // same chunk: no new dirty page, but its bit is only durable once batch 1 is
        long seq = bm.startWrite(sector(1), 8);
        CompletableFuture<Void> second = bm.unplug();
        assertFalse(second.isDone(), "batch 2 must wait for batch 1's write");
        assertFalse(bm.isWritten(seq));
        gate.countDown();
        get(first);
        get(second);
        assertTrue(bm.isWritten(seq));
        assertTrue(store.durableBitSet(1));
        bm.endWrite(sector(1), 8, true, false);
        bm.endWrite(sector(1), 8, true, false);
        bm.close();
    }

    @Test
    void continuationsRunOutsideTheIoLock() throws Exception {
        // a waiter that needs another thread to do bitmap I/O (a daemon pass) before it finishes:
        // if batches were released under the I/O lock, this would wait forever
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        FakeClock clock = new FakeClock();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(clock, writer));
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            long seq = bm.startWrite(sector(2), 8);
            CompletableFuture<Boolean> chained = bm.batchWritten(seq).thenApply(v -> {
                clock.advanceSeconds(5);
                try {
                    return other.submit(bm::daemonPass).get(BOUND_S, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            bm.unplug();
            assertTrue(chained.get(BOUND_S, TimeUnit.SECONDS));
            bm.endWrite(sector(2), 8, true, false);
            bm.close();
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aStoreErrorFailsTheBatchAndEverythingAfter() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, TestBitmaps.options(new FakeClock(), writer));
        store.failNextWrites(1);
        long seq = bm.startWrite(sector(3), 8);
        CompletableFuture<Void> waiter = bm.batchWritten(seq);
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(bm.unplug()));
        assertTrue(e.getCause().getMessage().contains("injected write error"), e.getCause().getMessage());
        assertTrue(waiter.isCompletedExceptionally());
        assertFalse(bm.isWritten(seq));
        assertTrue(bm.failure() != null);
        assertTrue(bm.batchWritten(seq).isCompletedExceptionally());
        long next = bm.startWrite(sector(4), 8);
        assertTrue(bm.unplug().isCompletedExceptionally());
        assertThrows(IOException.class, () -> bm.setEvents(20));
        bm.endWrite(sector(3), 8, true, false);
        bm.endWrite(sector(4), 8, true, false);
        assertFalse(bm.isWritten(next));
        IOException atClose = assertThrows(IOException.class, bm::close);
        assertTrue(atClose.getMessage().contains("write failure"), atClose.getMessage());
        assertTrue(store.isClosed());
    }

    @Test
    void closeWritesWhatIsDirtyAndFailsLateWaiters() throws Exception {
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = TestBitmaps.open(store, new FakeClock());
        long seq = bm.startWrite(sector(8), 8);
        bm.endWrite(sector(8), 8, false, false);
        bm.close();
        assertTrue(store.durableBitSet(8));
        assertTrue(bm.isWritten(seq));
        assertTrue(bm.unplug().isCompletedExceptionally());
        assertThrows(IllegalStateException.class, () -> bm.startWrite(sector(8), 8));
        bm.close(); // twice is fine
    }
}
