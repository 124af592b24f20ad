package io.raid5d.core.resync;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.WriteIntentLog;
import java.util.ArrayDeque;
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
 * <p>Thread ownership: the sweep thread is the only writer of {@code doneSectors}; others read it
 * (volatile) for progress.
 */
public final class ParityResync {
    private static final Logger LOG = Logger.getLogger(ParityResync.class.getName());
    private static final int STRIPES_PER_WINDOW = 64; // sync requests in flight at once

    private final String arrayName;
    private final Geometry geometry;
    private final StripeSync sync;
    private final SweepThread thread = new SweepThread();
    private volatile long doneSectors;
    private volatile long syncedSectors; // written by the worker only
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
        LOG.info(() -> "array " + arrayName + ": resync started at sector " + doneSectors);
        thread.start("raid5-resync-" + arrayName, () -> run(firstRow));
    }

    private void run(long firstRow) {
        long startNanos = System.nanoTime();
        int perRow = sync.stripesPerRow();
        int rowsPerWindow = Math.max(1, STRIPES_PER_WINDOW / perRow);
        long rowSectors = geometry.chunkSectors();
        long limit = geometry.rowCount() * rowSectors;
        long repaired = 0;
        try {
            long from = firstRow * rowSectors;
            WriteIntentLog.ResyncRange range;
            while (!thread.stopRequested() && (range = sync.nextRange(from, limit, rowSectors)) != null) {
                boolean completed = false;
                try {
                    long endRow = range.end() / rowSectors;
                    long row = range.start() / rowSectors;
                    ArrayDeque<SweepWindow> inFlight = new ArrayDeque<>();
                    try {
                        while (true) {
                            while (inFlight.size() < SweepWindow.IN_FLIGHT && row < endRow && !thread.stopRequested()) {
                                long windowEnd = Math.min(endRow, row + rowsPerWindow);
                                inFlight.add(SweepWindow.start(row, windowEnd, perRow, stripe -> sync.sync(stripe, true)));
                                row = windowEnd;
                            }
                            SweepWindow oldest = inFlight.poll();
                            if (oldest == null) {
                                break;
                            }
                            repaired += oldest.join();
                            syncedSectors += (long) oldest.stripes().length / perRow * rowSectors;
                            advance(oldest.endRow() * rowSectors);
                        }
                    } finally {
                        for (SweepWindow w : inFlight) {
                            w.awaitQuietly(); // nothing of the resync is in flight once it ends
                        }
                    }
                    completed = row >= endRow;
                } finally {
                    sync.endRange(range, !completed);
                }
                from = range.end();
            }
            if (!thread.stopRequested()) {
                long fixed = repaired;
                advance(limit); // what no range named needed no sync: the bitmap says it is clean
                finished = true;
                sync.syncedBelow(Long.MAX_VALUE);
                double seconds = (System.nanoTime() - startNanos) / 1e9;
                double mib = syncedSectors / 2048.0;
                LOG.info(() -> String.format("array %s: resync finished: %d of %d member sectors needed it, %d sectors of"
                        + " parity rewritten (%.0f MiB per member in %.2f s: %.1f MiB/s)", arrayName, syncedSectors, limit,
                        fixed, mib, seconds, seconds > 0 ? mib / seconds : 0.0));
            }
        } catch (CompletionException e) {
            LOG.log(Level.SEVERE, "array " + arrayName + ": resync stopped by an I/O error at sector " + doneSectors,
                    e.getCause());
        }
    }

    private void advance(long sector) {
        doneSectors = sector;
        sync.syncedBelow(sector);
    }

    /** Member sectors the resync has synced (read and checked) so far; skipped clean ones do not count. */
    public long syncedSectors() {
        return syncedSectors;
    }

    public boolean running() {
        return thread.running();
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
        thread.stopAndWait();
    }

    public void await() throws InterruptedException {
        thread.await();
    }
}
