package io.raid5d.core.stripe;

import io.raid5d.core.intent.WriteIntent;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * When parked stripes go back to work (md's plugging): a write pass that needs pre-reads is
 * parked on the delayed list, one waiting for its bitmap batch on the bitmap list. An unplug
 * (end of a client burst, FLUSH, FUA, the timer, close) closes the bitmap batch and releases
 * them; too many delayed stripes, or every busy head parked while requests wait, release them
 * at once. Owns the unplug timer thread {@code raid5-unplug-NAME}.
 *
 * <p>Fields marked so are guarded by the engine lock ({@link StripeCache#locked()});
 * {@code startedSinceUnplug} is volatile: {@link #startWrite} runs outside the lock.
 */
final class UnplugPolicy {
    private final StripeCache cache;
    private final WriteIntent log;
    private final java.util.function.LongPredicate batchWritten; // log::isBatchWritten, made once
    private final long unplugDelayMicros;
    private final ScheduledThreadPoolExecutor timer;
    // --- guarded by the engine lock (StripeCache.locked()) ---
    private boolean timerArmed;
    private boolean unplugPending;
    private boolean forceUnplug; // the pending unplug releases every delayed stripe, not only aged ones
    private long unplugGeneration; // unplugs done so far
    // --- lock-free ---
    private volatile boolean startedSinceUnplug; // a startWrite since the last log unplug

    UnplugPolicy(String name, StripeCache cache, WriteIntent log, long unplugDelayMicros) {
        this.cache = cache;
        this.log = log;
        this.batchWritten = log::isBatchWritten;
        this.unplugDelayMicros = unplugDelayMicros;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "raid5-unplug-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** A write pass began its intent (WriteIntentGate): the next unplug has a batch to close. */
    void writeStarted() {
        startedSinceUnplug = true;
    }

    /** End of a burst (see {@link StripeEngine#unplug}). Never blocks. */
    void unplug() {
        if (cache.delayedCount == 0 && cache.bitmapCount == 0 && !startedSinceUnplug) {
            return;
        }
        requestUnplug(false);
    }

    void requestUnplug(boolean force) {
        try (StripeCache.Locked locked = cache.locked()) {
            forceUnplug |= force;
            if (!unplugPending) {
                unplugPending = true;
                cache.work.signal();
            }
        }
    }

    /** An unplug that releases every delayed stripe is due now. Lock held. */
    void forceLocked() {
        unplugPending = true;
        forceUnplug = true;
        cache.work.signal();
    }

    /** Takes the pending unplug for this worker, if any. Lock held. */
    boolean takePending() {
        if (!unplugPending) {
            return false;
        }
        unplugPending = false;
        return true;
    }

    boolean pending() {
        return unplugPending;
    }

    /** Stripes wait on the bitmap list and a startWrite opened a batch since the last log unplug. Lock held. */
    boolean bitmapBatchDue() {
        return startedSinceUnplug && cache.bitmapWaiting();
    }

    /** A worker writes the open bitmap batch now (it calls {@code log.unplug()} after unlocking). Lock held. */
    void takeBitmapBatch() {
        startedSinceUnplug = false;
    }

    /** A worker owned {@code sh}, which needs pre-reads: it waits on the delayed list for an unplug. Lock held. */
    void parkDelayed(StripeHead sh) {
        sh.disown();
        sh.delayedAt = unplugGeneration;
        if (cache.parkDelayed(sh) > Math.max(1, cache.targetHeads() / 4)) {
            cache.activateDelayed(); // too many wait for an unplug: pre-read now
        } else {
            armTimer();
        }
        unstickIfWaiting();
    }

    /** A worker owned {@code sh}, whose bitmap batch is not durable: it waits on the bitmap list. Lock held. */
    void parkOnBitmap(StripeHead sh) {
        sh.disown();
        sh.delayedAt = unplugGeneration;
        cache.parkOnBitmap(sh);
        armTimer();
        unstickIfWaiting();
    }

    private void unstickIfWaiting() {
        if (cache.requestsWaiting()) {
            unstick();
        }
    }

    /**
     * Requests wait for heads, and every busy head is parked (delayed or bitmap): nothing would
     * free one before the timer, so release the delayed ones and ask for an unplug now. Lock held.
     */
    void unstick() {
        int parked = cache.parked();
        if (cache.handleEmpty() && cache.inUse() == parked && parked > 0) {
            cache.activateDelayed();
            if (cache.bitmapWaiting()) {
                forceLocked();
            }
        }
    }

    private void armTimer() {
        if (!timerArmed && unplugDelayMicros > 0 && !cache.stopping) {
            timerArmed = true;
            timer.schedule(this::timerFired, unplugDelayMicros, TimeUnit.MICROSECONDS);
        }
    }

    private void timerFired() {
        try (StripeCache.Locked locked = cache.locked()) {
            timerArmed = false;
            forceLocked();
        }
    }

    /** On a worker: close the bitmap batch, then release delayed stripes and settled bitmap stripes. */
    void unplugNow() {
        boolean bitmapWaits;
        try (StripeCache.Locked locked = cache.locked()) {
            bitmapWaits = cache.bitmapWaiting();
        }
        if (startedSinceUnplug || bitmapWaits) {
            startedSinceUnplug = false;
            log.unplug();
        }
        try (StripeCache.Locked locked = cache.locked()) {
            boolean all = forceUnplug || cache.draining;
            forceUnplug = false;
            unplugGeneration++;
            cache.activateDelayed(all ? Long.MAX_VALUE : unplugGeneration - 2);
            moveWrittenBitmapStripes();
        }
    }

    /** The log's listener: another batch is durable. Any thread. */
    void batchWritten() {
        try (StripeCache.Locked locked = cache.locked()) {
            moveWrittenBitmapStripes();
        }
    }

    /** Lock held. */
    private void moveWrittenBitmapStripes() {
        cache.releaseSettled(batchWritten);
    }

    void shutdown() {
        timer.shutdown();
    }
}
