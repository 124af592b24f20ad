package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;
import org.junit.jupiter.api.Test;

import static io.raid5d.bitmap.TestBitmaps.FIRST_CHUNK_OF_PAGE_1;
import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon: a bit is cleared two passes (each >= daemon_sleep apart) after its chunk went idle. */
class LazyClearTest {
    private final FakeClock clock = new FakeClock();
    private final MemoryBitmapStore store = TestBitmaps.cleanStore();

    private WriteIntentBitmap openWritten(long... chunks) throws Exception {
        WriteIntentBitmap bm = TestBitmaps.open(store, clock);
        for (long c : chunks) {
            bm.startWrite(sector(c), 8);
        }
        bm.unplug().join();
        for (long c : chunks) {
            assertTrue(store.durableBitSet(c));
        }
        return bm;
    }

    /** The bitmap under test (set by each test), and one daemon pass after moving the clock. */
    private WriteIntentBitmap current;

    private boolean pass(long seconds) {
        clock.advanceSeconds(seconds);
        return current.daemonPass();
    }

    @Test
    void idleBitsClearAfterTwoPassesAtLeastDaemonSleepApart() throws Exception {
        current = openWritten(6, FIRST_CHUNK_OF_PAGE_1 + 3);
        WriteIntentBitmap bm = current;
        assertEquals(5, bm.daemonSleepSeconds());
        assertFalse(pass(4), "less than daemon_sleep since open: no pass");
        bm.endWrite(sector(6), 8, true, false);
        bm.endWrite(sector(FIRST_CHUNK_OF_PAGE_1 + 3), 8, true, false);
        assertTrue(pass(1));
        assertEquals(BitmapCounter.CLEAR_NEXT, bm.counter(6));
        assertTrue(store.durableBitSet(6), "one pass is not enough");
        int writes = store.totalPageWrites();
        assertFalse(pass(4), "passes are daemon_sleep apart");
        assertEquals(BitmapCounter.CLEAR_NEXT, bm.counter(6));
        assertTrue(pass(1));
        assertEquals(0, bm.counter(6));
        assertFalse(bm.isBitSet(6));
        assertFalse(store.durableBitSet(6));
        assertFalse(store.durableBitSet(FIRST_CHUNK_OF_PAGE_1 + 3));
        assertEquals(writes + 2, store.totalPageWrites(), "both pages written once");
        assertTrue(pass(5));
        assertEquals(writes + 2, store.totalPageWrites(), "nothing left to do");
        bm.close();
    }

    @Test
    void aWriteBetweenPassesStartsTheWaitAgain() throws Exception {
        current = openWritten(6);
        WriteIntentBitmap bm = current;
        bm.endWrite(sector(6), 8, true, false);
        pass(5);
        assertEquals(BitmapCounter.CLEAR_NEXT, bm.counter(6));
        assertEquals(2, bm.startWrite(sector(6), 8));
        assertEquals(3, bm.counter(6), "1 -> 2 + one write, the bit stays set");
        assertTrue(bm.unplug().isDone());
        bm.endWrite(sector(6), 8, true, false);
        pass(5);
        assertTrue(store.durableBitSet(6));
        pass(5);
        assertFalse(store.durableBitSet(6));
        bm.close();
    }

    @Test
    void bitsWithWritesInFlightAreNeverCleared() throws Exception {
        current = openWritten(6);
        WriteIntentBitmap bm = current;
        for (int i = 0; i < 5; i++) {
            pass(5);
        }
        assertTrue(store.durableBitSet(6));
        assertEquals(3, bm.counter(6));
        bm.endWrite(sector(6), 8, true, false);
        bm.close();
    }

    @Test
    void nothingIsClearedWhileDegraded() throws Exception {
        current = openWritten(6, 7);
        WriteIntentBitmap bm = current;
        bm.endWrite(sector(6), 8, true, false); // completed before the array degraded
        bm.setDegraded(true);
        bm.endWrite(sector(7), 8, true, false); // ended while degraded: NEEDED
        for (int i = 0; i < 5; i++) {
            pass(5);
        }
        assertTrue(store.durableBitSet(6));
        assertTrue(store.durableBitSet(7));
        assertEquals(BitmapCounter.IDLE, bm.counter(6));
        bm.setDegraded(false);
        pass(5);
        pass(5);
        assertFalse(store.durableBitSet(6), "clean write, cleared once no longer degraded");
        assertTrue(store.durableBitSet(7), "NEEDED until resynced");
        assertTrue(bm.startSync(7, false));
        bm.endSync(7, false);
        pass(5);
        pass(5);
        assertFalse(store.durableBitSet(7));
        bm.close();
    }

    @Test
    void failedWritesStaySetAfterAnyNumberOfPasses() throws Exception {
        current = openWritten(6);
        WriteIntentBitmap bm = current;
        bm.endWrite(sector(6), 8, false, false);
        for (int i = 0; i < 10; i++) {
            pass(5);
        }
        assertTrue(store.durableBitSet(6));
        assertEquals(1, bm.clearIdleBits());
        assertTrue(store.durableBitSet(6));
        bm.close();
    }

    @Test
    void eventsClearedIsWrittenBeforeBitsAreCleared() throws Exception {
        current = TestBitmaps.open(store, clock);
        WriteIntentBitmap bm = current;
        bm.setEvents(12);
        assertEquals(12, store.durableHeader().getEvents());
        assertEquals(TestBitmaps.EVENTS, store.durableHeader().getEventsCleared());
        bm.startWrite(sector(6), 8);
        bm.unplug().join();
        bm.endWrite(sector(6), 8, true, false);
        assertEquals(12, bm.header().getEventsCleared(), "a clean write moves events_cleared to the array's events");
        assertEquals(TestBitmaps.EVENTS, store.durableHeader().getEventsCleared());
        pass(5);
        assertEquals(12, store.durableHeader().getEventsCleared());
        assertTrue(store.durableBitSet(6));
        pass(5);
        assertFalse(store.durableBitSet(6));
        bm.close();
    }

    @Test
    void clearIdleBitsIgnoresTheClockForACleanStop() throws Exception {
        current = openWritten(1, 2, 3, FIRST_CHUNK_OF_PAGE_1);
        WriteIntentBitmap bm = current;
        for (long c : new long[] {1, 2, 3, FIRST_CHUNK_OF_PAGE_1}) {
            bm.endWrite(sector(c), 8, true, false);
        }
        assertEquals(0, bm.clearIdleBits());
        assertEquals(0, bm.setBitCount());
        for (long c : new long[] {1, 2, 3, FIRST_CHUNK_OF_PAGE_1}) {
            assertFalse(store.durableBitSet(c));
        }
        bm.close();
    }

    @Test
    void setEventsKeepsEventsClearedAtMostEvents() throws Exception {
        current = TestBitmaps.open(store, clock);
        WriteIntentBitmap bm = current;
        bm.setEvents(4); // an array whose events went back (md: "rocking back to read-only")
        assertEquals(4, store.durableHeader().getEvents());
        assertEquals(4, store.durableHeader().getEventsCleared());
        assertEquals(bm.report("mem"), io.raid5d.bitmap.format.BitmapReport.format("mem", store.durableHeader(),
                store.durableArea().position(256)));
        bm.close();
    }
}
