package io.raid5d.core.stripe;

import io.raid5d.core.intent.WriteIntent;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code raid5-stripe-NAME-N} threads (md's raid5d): each takes the next head from the
 * handle list and runs its state machine (md's handle_stripe), or does a pending unplug, or
 * writes the open bitmap batch when nothing is ready but stripes wait on the bitmap list.
 */
final class StripeWorkers {
    private static final Logger LOG = Logger.getLogger(StripeEngine.class.getName());

    private final String name;
    private final StripeCache cache;
    private final UnplugPolicy unplug;
    private final WriteIntent log; // unplug of a bitmap batch no stripe will close
    private final WriteIntentGate gate;
    private final WritePlanner writes;
    private final SyncPass syncs;
    private final Thread[] threads;
    private final MemberQueues queues;
    /**
     * Sync-pass heads (rebuild, check, resync, degraded fetches) a worker handles under one plug: a
     * window of a sweep, 256 KiB of each member. Write passes are not plugged: a client waits for
     * them and they seldom merge (on tmpfs, plugging them cost a quarter of the 4 KiB random write
     * rate); the queues still merge what gathers behind a busy member. The plug is released before
     * a write pass and whenever the handle list runs dry, so held I/O never waits for new work, and
     * a plugged worker never blocks (startWrite is a write pass's).
     */
    private static final int MAX_HEADS_PER_PLUG = 64;

    StripeWorkers(String name, int count, StripeCache cache, UnplugPolicy unplug, WriteIntent log, WriteIntentGate gate,
                  WritePlanner writes, SyncPass syncs, MemberQueues queues) {
        this.queues = queues;
        this.name = name;
        this.cache = cache;
        this.unplug = unplug;
        this.log = log;
        this.gate = gate;
        this.writes = writes;
        this.syncs = syncs;
        this.threads = new Thread[count];
    }

    void start() {
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(this::workerLoop, "raid5-stripe-" + name + "-" + (i + 1));
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Waits for every worker to end (after {@code cache.stopping} was set). */
    boolean join() {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        return interrupted;
    }

    private void workerLoop() {
        boolean plugged = false; // this worker's member requests are held back (md's blk_plug)
        int handledInPlug = 0;
        while (true) {
            StripeHead sh = null;
            boolean doUnplug = false;
            boolean flushBitmap = false;
            boolean releasePlug = false;
            boolean syncHead = false;
            try (StripeCache.Locked locked = cache.locked()) {
                if (plugged && (cache.handleEmpty() || handledInPlug >= MAX_HEADS_PER_PLUG)) {
                    releasePlug = true; // nothing more to handle now (or enough): let the I/O go
                }
                while (!releasePlug && !cache.stopping && cache.handleEmpty() && !unplug.pending() && !unplug.bitmapBatchDue()) {
                    cache.work.awaitUninterruptibly();
                }
                if (releasePlug) {
                    // below, outside the lock
                } else if (unplug.takePending()) {
                    doUnplug = true;
                } else if (cache.handleEmpty() && unplug.bitmapBatchDue()) {
                    // md's raid5d: nothing ready to handle but stripes wait for the bitmap, so now
                    // is a good time to write the open batch. Delayed stripes stay delayed.
                    unplug.takeBitmapBatch();
                    flushBitmap = true;
                } else if (cache.handleEmpty()) {
                    return; // stopping
                } else {
                    sh = cache.takeHandle();
                    sh.own();
                    syncHead = sh.phase == StripeHead.SYNC_PLAN
                            || sh.phase == StripeHead.IDLE && !sh.hasPendingWrites() && sh.hasPendingSyncs();
                }
            }
            if (releasePlug) {
                queues.unplug();
                plugged = false;
                handledInPlug = 0;
                continue;
            }
            try {
                if (doUnplug) {
                    unplug.unplugNow();
                } else if (flushBitmap) {
                    log.unplug(); // its listener moves the settled stripes to the handle list
                } else if (syncHead) {
                    if (!plugged) {
                        queues.plug();
                        plugged = true;
                    }
                    handledInPlug++;
                    handleStripe(sh);
                } else {
                    if (plugged) { // a write pass's I/O is not held back: its client waits for it
                        queues.unplug();
                        plugged = false;
                        handledInPlug = 0;
                    }
                    handleStripe(sh);
                }
            } catch (RuntimeException | Error e) {
                // A bug in the engine: fail loudly in the log rather than killing the worker silently.
                LOG.log(Level.SEVERE, "array " + name + ": stripe handling failed", e);
            }
        }
    }

    /** md's handle_stripe: the worker owns {@code sh} ({@code active}). */
    private void handleStripe(StripeHead sh) {
        boolean start = false;
        try (StripeCache.Locked locked = cache.locked()) {
            if (sh.phase == StripeHead.IDLE) {
                if (sh.hasPendingWrites()) {
                    sh.beginWritePlan();
                    start = true;
                } else if (sh.hasPendingSyncs()) {
                    sh.beginSyncPlan();
                } else {
                    cache.release(sh);
                    return;
                }
            }
        }
        if (start) {
            gate.begin(sh);
        }
        if (sh.phase == StripeHead.WRITE_PLAN) {
            writes.planWrite(sh);
        } else {
            syncs.planSync(sh);
        }
    }
}
