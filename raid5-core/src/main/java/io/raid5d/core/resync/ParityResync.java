package io.raid5d.core.resync;

import io.raid5d.core.geometry.Geometry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Background resync after an unclean stop, through the stripe cache as md does it: each
 * stripe head gets a sync request (read all members, recompute parity, rewrite it where it
 * differs) that the engine orders with writes to the same stripe. Runs from the checkpoint the
 * superblock recorded to the end, a window of rows at a time, and advances the checkpoint only
 * past rows that are completely done.
 *
 * <p>Thread ownership: {@code worker} is the only writer of {@code doneSectors}; others read it
 * (volatile) for progress.
 */
public final class ParityResync {
    private static final Logger LOG = Logger.getLogger(ParityResync.class.getName());
    private static final int STRIPES_PER_WINDOW = 64; // sync requests in flight at once

    private final String arrayName;
    private final Geometry geometry;
    private final StripeSync sync;
    private volatile Thread worker;
    private volatile long doneSectors;
    private volatile boolean stopRequested;
    // True when no resync is needed: never started, or ran to the end.
    private volatile boolean finished = true;

    public ParityResync(String arrayName, Geometry geometry, StripeSync sync) {
        this.arrayName = arrayName;
        this.geometry = geometry;
        this.sync = sync;
    }

    public synchronized void start(long fromSector) {
        long firstRow = fromSector / geometry.chunkSectors();
        doneSectors = firstRow * geometry.chunkSectors();
        sync.syncedBelow(doneSectors);
        finished = false;
        Thread t = new Thread(() -> run(firstRow), "raid5-resync-" + arrayName);
        t.setDaemon(true);
        worker = t;
        LOG.info(() -> "array " + arrayName + ": resync started at sector " + doneSectors);
        t.start();
    }

    private void run(long firstRow) {
        int perRow = sync.stripesPerRow();
        int rowsPerWindow = Math.max(1, STRIPES_PER_WINDOW / perRow);
        long repaired = 0;
        try {
            for (long row = firstRow; row < geometry.stripeCount() && !stopRequested; row += rowsPerWindow) {
                long endRow = Math.min(geometry.stripeCount(), row + rowsPerWindow);
                int count = (int) ((endRow - row) * perRow);
                @SuppressWarnings("unchecked")
                CompletableFuture<Long>[] window = new CompletableFuture[count];
                for (int i = 0; i < count; i++) {
                    window[i] = sync.sync(row * perRow + i, true);
                }
                for (CompletableFuture<Long> f : window) {
                    repaired += f.join();
                }
                doneSectors = endRow * geometry.chunkSectors();
                sync.syncedBelow(doneSectors);
            }
            if (!stopRequested) {
                long fixed = repaired;
                finished = true;
                sync.syncedBelow(Long.MAX_VALUE);
                LOG.info(() -> "array " + arrayName + ": resync finished, " + fixed + " sectors of parity rewritten");
            }
        } catch (CompletionException e) {
            LOG.log(Level.SEVERE, "array " + arrayName + ": resync stopped by an I/O error at sector " + doneSectors,
                    e.getCause());
        } finally {
            worker = null;
        }
    }

    public boolean running() {
        return worker != null;
    }

    public long doneSectors() {
        return doneSectors;
    }

    /** Member sectors known in sync from the start: {@code Long.MAX_VALUE} when all are. */
    public long checkpoint() {
        return finished ? Long.MAX_VALUE : doneSectors;
    }

    /** Asks the resync to stop after its current window and waits for it. */
    public void stop() {
        stopRequested = true;
        await0();
    }

    public void await() throws InterruptedException {
        Thread t = worker;
        if (t != null) {
            t.join();
        }
    }

    private void await0() {
        Thread t = worker;
        boolean interrupted = false;
        while (t != null && t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
