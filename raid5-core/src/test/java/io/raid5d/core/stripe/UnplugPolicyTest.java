package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * md's plugging, as the engine does it: a head that needs pre-reads waits on the delayed list
 * for one more burst (an NBD request that ends mid-stripe is usually completed by the next one);
 * a forced unplug (FLUSH, FUA, the timer) releases every delayed head; too many delayed heads are
 * released at once; a head waiting for its bitmap batch moves on when the batch is durable.
 */
class UnplugPolicyTest {
    private final RecordingWriteIntentLog log = new RecordingWriteIntentLog();
    private final StripeCache cache = new StripeCache(Geometry.of(4, 128, Layout.LEFT_SYMMETRIC, 8192), 32);
    private final UnplugPolicy unplug = new UnplugPolicy("t", cache, log, 0); // no timer: the test unplugs

    {
        log.onBatchWritten(unplug::batchWritten);
    }

    @AfterEach
    void stop() {
        unplug.shutdown();
    }

    /** A head a worker owns and parks on the delayed list. */
    private StripeHead delayed(long key) {
        try (StripeCache.Locked locked = cache.locked()) {
            StripeHead h = cache.getHead(key);
            h.own();
            unplug.parkDelayed(h);
            return h;
        }
    }

    private StripeHead nextForAWorker() {
        try (StripeCache.Locked locked = cache.locked()) {
            return cache.takeHandle();
        }
    }

    @Test
    void aDelayedHeadWaitsOneMoreBurst() {
        StripeHead h = delayed(1);
        unplug.unplugNow(); // the burst it arrived in ends: one more burst may fill the stripe
        assertSame(null, nextForAWorker());
        unplug.unplugNow(); // the next burst ends too: now it pre-reads
        assertSame(h, nextForAWorker());
        assertTrue(h.prereadActive, "released from the delayed list: may pre-read");
    }

    @Test
    void aForcedUnplugReleasesEveryDelayedHead() {
        StripeHead a = delayed(1);
        StripeHead b = delayed(2);
        try (StripeCache.Locked locked = cache.locked()) {
            unplug.forceLocked(); // FLUSH, FUA or the timer
            assertTrue(unplug.takePending());
        }
        unplug.unplugNow();
        assertSame(a, nextForAWorker());
        assertSame(b, nextForAWorker());
    }

    @Test
    void moreThanAQuarterOfTheCacheDelayedIsReleasedAtOnce() {
        for (int k = 0; k < 8; k++) {
            delayed(k);
        }
        assertSame(null, nextForAWorker(), "8 of 32 delayed: they wait");
        delayed(8);
        int released = 0;
        while (nextForAWorker() != null) {
            released++;
        }
        assertEquals(9, released, "the ninth pushes past a quarter of the cache: all pre-read now");
    }

    @Test
    void aHeadWaitingForItsBitmapBatchMovesOnWhenTheBatchIsDurable() {
        log.hold(true);
        StripeHead h;
        try (StripeCache.Locked locked = cache.locked()) {
            h = cache.getHead(5);
            h.own();
        }
        h.bmSeq = log.startWrite(5 * StripeEngine.PAGE_SECTORS, StripeEngine.PAGE_SECTORS);
        unplug.writeStarted();
        try (StripeCache.Locked locked = cache.locked()) {
            unplug.parkOnBitmap(h);
            assertTrue(unplug.bitmapBatchDue(), "a batch is open and a head waits on it");
        }
        unplug.unplugNow(); // closes the batch; it is not durable yet
        assertSame(null, nextForAWorker());
        assertFalse(log.isBatchWritten(h.bmSeq));
        log.release(); // durable: the log's listener moves the head on
        assertSame(h, nextForAWorker());
        log.endWrite(5 * StripeEngine.PAGE_SECTORS, StripeEngine.PAGE_SECTORS, true, false);
    }
}
