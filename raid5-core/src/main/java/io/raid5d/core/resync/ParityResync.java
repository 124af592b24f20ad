package io.raid5d.core.resync;

import io.raid5d.core.array.MemberSet;
import io.raid5d.core.geometry.Geometry;
import java.io.IOException;
import java.util.concurrent.locks.Lock;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Background resync after an unclean stop: recomputes each row's parity under the row's lock
 * while the array serves I/O, from the checkpoint the superblock recorded to the end.
 *
 * <p>Thread ownership: {@code worker} is the only writer of {@code doneSectors}; others read it
 * (volatile) for progress.
 */
public final class ParityResync {
    private static final Logger LOG = Logger.getLogger(ParityResync.class.getName());

    private final String arrayName;
    private final MemberSet members;
    private final LongFunction<? extends Lock> rowLock;
    private volatile Thread worker;
    private volatile long doneSectors;
    private volatile boolean stopRequested;
    // True when no resync is needed: never started, or ran to the end.
    private volatile boolean finished = true;

    public ParityResync(String arrayName, MemberSet members, LongFunction<? extends Lock> rowLock) {
        this.arrayName = arrayName;
        this.members = members;
        this.rowLock = rowLock;
    }

    public synchronized void start(long fromSector) {
        Geometry g = members.geometry();
        long firstRow = fromSector / g.chunkSectors();
        doneSectors = firstRow * g.chunkSectors();
        finished = false;
        Thread t = new Thread(() -> run(firstRow), "raid5-resync-" + arrayName);
        t.setDaemon(true);
        worker = t;
        LOG.info(() -> "array " + arrayName + ": resync started at sector " + doneSectors);
        t.start();
    }

    private void run(long firstRow) {
        Geometry g = members.geometry();
        RowParityChecker checker = new RowParityChecker(members);
        long repaired = 0;
        try {
            for (long row = firstRow; row < g.stripeCount() && !stopRequested; row++) {
                Lock lock = rowLock.apply(row);
                lock.lock();
                try {
                    repaired += checker.check(row, true);
                } finally {
                    lock.unlock();
                }
                doneSectors = (row + 1) * g.chunkSectors();
            }
            if (!stopRequested) {
                long fixed = repaired;
                LOG.info(() -> "array " + arrayName + ": resync finished, " + fixed + " sectors of parity rewritten");
                finished = true;
            }
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "array " + arrayName + ": resync stopped by an I/O error at sector " + doneSectors, e);
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

    /** Asks the resync to stop after its current row and waits for it. */
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
