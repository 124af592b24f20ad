package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-chunk counter as md keeps it: count + 2 while set, NEEDED and RESYNC flags, the balance. */
class CounterTest {

    @Test
    void firstWriteSetsTheBitAndCountsFromTwo() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        assertEquals(0, bm.counter(7));
        assertFalse(bm.isBitSet(7));
        assertEquals(1, bm.startWrite(sector(7), 8));
        assertEquals(3, bm.counter(7), "0 -> bit set, 2, plus one write");
        assertTrue(bm.isBitSet(7));
        assertEquals(1, bm.startWrite(sector(7) + 2, 1));
        assertEquals(4, bm.counter(7));
        assertEquals(2, BitmapCounter.writesInFlight(bm.counter(7)));
        assertEquals(2, bm.writesInFlight());
        bm.endWrite(sector(7), 8, true, false);
        assertEquals(3, bm.counter(7));
        bm.endWrite(sector(7) + 2, 1, true, false);
        assertEquals(BitmapCounter.IDLE, bm.counter(7), "idle, bit still set");
        assertTrue(bm.isBitSet(7));
        assertEquals(0, bm.writesInFlight());
        bm.close();
    }

    @Test
    void aWriteAcrossChunksCountsEachChunkOnce() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        bm.startWrite(sector(3) + 4, 16); // sectors 28..43: chunks 3, 4, 5
        assertEquals(0, bm.counter(2));
        assertEquals(3, bm.counter(3));
        assertEquals(3, bm.counter(4));
        assertEquals(3, bm.counter(5));
        assertEquals(0, bm.counter(6));
        assertEquals(1, bm.writesInFlight(), "one call, one balance unit");
        bm.endWrite(sector(3) + 4, 16, true, false);
        assertEquals(0, bm.writesInFlight());
        bm.close();
    }

    @Test
    void failedOrDegradedWritesLeaveTheChunkNeeded() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        bm.startWrite(sector(1), 8);
        bm.startWrite(sector(2), 8);
        bm.startWrite(sector(3), 8);
        bm.endWrite(sector(1), 8, false, false);
        bm.endWrite(sector(2), 8, true, true);
        bm.endWrite(sector(3), 8, true, false);
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(1));
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(2));
        assertEquals(BitmapCounter.IDLE, bm.counter(3));
        bm.setDegraded(true);
        bm.startWrite(sector(4), 8);
        bm.endWrite(sector(4), 8, true, false);
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(4), "the array is degraded");
        assertEquals(1, bm.nextSyncChunk(0));
        assertEquals(4, bm.nextSyncChunk(3));
        assertEquals(-1, bm.nextSyncChunk(5));
        assertEquals(3, bm.syncChunkCount());
        bm.close();
    }

    @Test
    void unbalancedEndWriteFailsLoudlyAndChangesNothing() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bm.endWrite(sector(9), 8, true, false));
        assertTrue(e.getMessage().contains("unbalanced endWrite"), e.getMessage());
        bm.startWrite(sector(9), 8);
        bm.endWrite(sector(9), 8, true, false);
        assertThrows(IllegalStateException.class, () -> bm.endWrite(sector(9), 8, true, false), "second end of one start");
        bm.startWrite(sector(10), 8);
        // a range wider than the start: chunk 11 has nothing in flight, so chunk 10 must stay counted
        assertThrows(IllegalStateException.class, () -> bm.endWrite(sector(10), 16, true, false));
        assertEquals(3, bm.counter(10));
        assertEquals(1, bm.writesInFlight());
        IllegalStateException atClose = assertThrows(IllegalStateException.class, bm::close);
        assertTrue(atClose.getMessage().contains("1 writes in flight"), atClose.getMessage());
    }

    @Test
    void rangesOutsideTheBitmapAreRefused() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        assertThrows(IllegalArgumentException.class, () -> bm.startWrite(-1, 8));
        assertThrows(IllegalArgumentException.class, () -> bm.startWrite(0, 0));
        assertThrows(IllegalArgumentException.class, () -> bm.startWrite(sector(TestBitmaps.CHUNKS), 1));
        assertThrows(IllegalArgumentException.class, () -> bm.startWrite(sector(TestBitmaps.CHUNKS) - 1, 2));
        assertEquals(1, bm.startWrite(sector(TestBitmaps.CHUNKS) - 1, 1));
        assertThrows(IllegalArgumentException.class, () -> bm.counter(TestBitmaps.CHUNKS));
        bm.endWrite(sector(TestBitmaps.CHUNKS) - 1, 1, true, false);
        bm.close();
    }

    @Test
    void aFullCounterMakesWritersWaitUntilOneEnds() throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(TestBitmaps.cleanStore(), new FakeClock());
        int max = BitmapCounter.COUNTER_MAX - BitmapCounter.IDLE; // writes a chunk can hold
        for (int i = 0; i < max; i++) {
            assertTrue(bm.startWrite(sector(20), 8) > 0);
        }
        assertEquals(BitmapCounter.COUNTER_MAX, bm.counter(20));
        assertEquals(WriteIntentBitmap.MUST_WAIT, bm.startWrite(sector(20), 8));
        // a range that includes the full chunk counts nothing, not even its other chunk
        assertEquals(WriteIntentBitmap.MUST_WAIT, bm.startWrite(sector(19), 16));
        assertEquals(0, bm.counter(19));
        assertEquals(max, bm.writesInFlight());
        assertTrue(bm.startWrite(sector(21), 8) > 0, "other chunks are not held up");
        CompletableFuture<Void> room = bm.whenStartable(sector(20), 8);
        assertFalse(room.isDone());
        assertTrue(bm.whenStartable(sector(21), 8).isDone());
        bm.endWrite(sector(21), 8, true, false);
        assertFalse(room.isDone(), "another chunk's end does not make room");
        bm.endWrite(sector(20), 8, true, false);
        assertTrue(room.isDone());
        assertTrue(bm.startWrite(sector(20), 8) > 0);
        for (int i = 0; i < max; i++) {
            bm.endWrite(sector(20), 8, true, false);
        }
        assertEquals(BitmapCounter.IDLE, bm.counter(20));
        bm.close();
    }

    @Test
    void resyncMovesNeededToResyncAndBack() throws Exception {
        FakeClock clock = new FakeClock();
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = TestBitmaps.open(store, clock);
        assertFalse(bm.startSync(30, false), "clean chunk needs no sync");
        bm.markNeeded(sector(30), 8);
        bm.markNeeded(sector(31), 8);
        bm.unplug().join();
        assertTrue(store.durableBitSet(30));
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(30));

        assertTrue(bm.startSync(30, true));
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(30), "degraded: flags untouched");
        assertTrue(bm.startSync(30, false));
        assertEquals(BitmapCounter.RESYNC | BitmapCounter.IDLE, bm.counter(30));
        assertTrue(bm.startSync(30, false), "a chunk being resynced still needs it");
        bm.endSync(30, false);
        assertEquals(BitmapCounter.IDLE, bm.counter(30));

        assertTrue(bm.startSync(31, false));
        bm.endSync(31, true);
        assertEquals(BitmapCounter.NEEDED | BitmapCounter.IDLE, bm.counter(31), "aborted: needed again");
        bm.endSync(29, false); // not resyncing: nothing happens
        assertEquals(0, bm.counter(29));

        clock.advanceSeconds(5);
        assertTrue(bm.daemonPass());
        clock.advanceSeconds(5);
        assertTrue(bm.daemonPass());
        assertFalse(store.durableBitSet(30), "synced chunk cleared lazily");
        assertTrue(store.durableBitSet(31), "needed chunk kept");
        assertEquals(31, bm.nextSyncChunk(0));
        bm.close();
    }

    @Test
    void writesDuringResyncKeepTheChunkUntilTheyEnd() throws Exception {
        FakeClock clock = new FakeClock();
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = TestBitmaps.open(store, clock);
        bm.markNeeded(sector(40), 8);
        bm.unplug().join();
        assertTrue(bm.startSync(40, false));
        bm.startWrite(sector(40), 8);
        bm.endSync(40, false);
        assertEquals(3, bm.counter(40));
        for (int i = 0; i < 3; i++) {
            clock.advanceSeconds(5);
            bm.daemonPass();
        }
        assertTrue(store.durableBitSet(40));
        bm.endWrite(sector(40), 8, true, false);
        for (int i = 0; i < 2; i++) {
            clock.advanceSeconds(5);
            bm.daemonPass();
        }
        assertFalse(store.durableBitSet(40));
        bm.close();
    }
}
