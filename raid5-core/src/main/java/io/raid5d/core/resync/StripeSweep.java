package io.raid5d.core.resync;

import io.raid5d.core.geometry.Geometry;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.LongUnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A background pass over the array's chunk rows through the stripe cache: the rebuild of a
 * spare (each stripe reconstructed and written to it) and the check/repair scrub (each stripe's
 * parity compared, and rewritten in repair mode). A window of rows at a time; progress advances
 * only past rows that are completely done, and is reported to a {@link Progress} listener (the
 * rebuild checkpoints recovery_offset from it). Rows the {@code skip} function jumps over (clean
 * chunks of a bitmap re-add) count as done. Throttled like md's sync_speed_min/max: at most
 * {@code maxKiBps}, and at most {@code minKiBps} while {@code busy} says the array serves I/O.
 *
 * <p>Thread ownership: the sweep thread is the only writer of {@code doneSectors} and the
 * totals; others read them (volatile).
 */
public final class StripeSweep {
    private static final Logger LOG = Logger.getLogger(StripeSweep.class.getName());
    /** Stripe heads per window: 256 KiB of every member, merged by the member queues into large requests. */
    private static final int STRIPES_PER_WINDOW = 64;

    /** One stripe's work; completes with the sectors it counted (mismatches, or sectors rebuilt). */
    @FunctionalInterface
    public interface StripeAction {
        CompletableFuture<Long> run(long stripe);
    }

    /** Told about progress (on the sweep thread, may block briefly) and the end. */
    public interface Progress {
        void advanced(long doneSectors, long counted);

        /** {@code error} null: ran to the end; {@code stopped}: asked to stop before the end. */
        void finished(long doneSectors, long counted, boolean stopped, Throwable error);
    }

    /** md's sync_speed_min / sync_speed_max in KiB/s of member data per member (0 = unlimited max). */
    public record SpeedLimits(long minKiBps, long maxKiBps) {
        public static final SpeedLimits MD_DEFAULTS = new SpeedLimits(1000, 200000);
    }

    private final String arrayName;
    private final String what;
    private final Geometry geometry;
    private final int stripesPerRow;
    private final StripeAction action;
    private final LongUnaryOperator skip;
    private final Progress progress;
    private final BooleanSupplier busy;
    private volatile SpeedLimits limits;
    private final SweepThread thread = new SweepThread();
    private volatile long doneSectors;
    private volatile long counted;
    private volatile long startedAtSector;
    private volatile long startNanos;

    /**
     * @param skip maps a member sector to the first sector at or after it worth doing
     *             ({@code Long.MAX_VALUE}: nothing more); identity for a full pass
     */
    public StripeSweep(String arrayName, String what, Geometry geometry, int stripesPerRow, StripeAction action,
                       LongUnaryOperator skip, Progress progress, BooleanSupplier busy, SpeedLimits limits) {
        this.arrayName = arrayName;
        this.what = what;
        this.geometry = geometry;
        this.stripesPerRow = stripesPerRow;
        this.action = action;
        this.skip = skip;
        this.progress = progress;
        this.busy = busy;
        this.limits = limits;
    }

    public void setLimits(SpeedLimits limits) {
        this.limits = limits;
    }

    public synchronized void start(long fromSector) {
        long firstRow = Math.min(fromSector, geometry.memberSectors()) / geometry.chunkSectors();
        doneSectors = firstRow * geometry.chunkSectors();
        startedAtSector = doneSectors;
        startNanos = System.nanoTime();
        LOG.info(() -> "array " + arrayName + ": " + what + " started at sector " + doneSectors);
        thread.start("raid5-" + what + "-" + arrayName, () -> run(firstRow));
    }

    private void run(long firstRow) {
        int rowsPerWindow = Math.max(1, STRIPES_PER_WINDOW / stripesPerRow);
        long chunkSectors = geometry.chunkSectors();
        long rows = geometry.rowCount();
        Throwable error = null;
        ArrayDeque<SweepWindow> inFlight = new ArrayDeque<>();
        long row = firstRow;
        try {
            while (true) {
                // keep SweepWindow.IN_FLIGHT windows queued, so the members never wait for the sweep
                while (inFlight.size() < SweepWindow.IN_FLIGHT && row < rows && !thread.stopRequested()) {
                    long next = skip.applyAsLong(row * chunkSectors);
                    long nextRow = next == Long.MAX_VALUE ? rows : Math.max(row, next / chunkSectors);
                    if (nextRow >= rows) {
                        row = rows;
                        break;
                    }
                    row = nextRow;
                    long limit = Math.min(rows, row + rowsPerWindow);
                    long endRow = row + 1;
                    while (endRow < limit && skip.applyAsLong(endRow * chunkSectors) < (endRow + 1) * chunkSectors) {
                        endRow++; // the window holds only rows worth doing
                    }
                    inFlight.add(SweepWindow.start(row, endRow, stripesPerRow, action));
                    row = endRow;
                }
                SweepWindow oldest = inFlight.poll();
                if (oldest == null) {
                    break;
                }
                counted += oldest.join();
                doneSectors = oldest.endRow() * chunkSectors;
                progress.advanced(doneSectors, counted);
                throttle();
            }
            if (row >= rows) {
                doneSectors = geometry.memberSectors();
            }
        } catch (CompletionException e) {
            error = e.getCause() != null ? e.getCause() : e;
            Throwable logged = error;
            LOG.log(Level.SEVERE, "array " + arrayName + ": " + what + " stopped by an error at sector " + doneSectors, logged);
        } catch (RuntimeException e) {
            error = e;
            LOG.log(Level.SEVERE, "array " + arrayName + ": " + what + " failed", e);
        } finally {
            for (SweepWindow w : inFlight) {
                w.awaitQuietly(); // nothing of the sweep is in flight once it reports its end
            }
            boolean stopped = thread.stopRequested() && doneSectors < geometry.memberSectors();
            long c = counted;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double mib = (doneSectors - startedAtSector) / 2048.0;
            LOG.info(() -> String.format("array %s: %s %s at sector %d, counted %d (%.0f MiB per member in %.2f s: %.1f MiB/s)",
                    arrayName, what, stopped ? "stopped" : "finished", doneSectors, c, mib, seconds,
                    seconds > 0 ? mib / seconds : 0.0));
            progress.finished(doneSectors, counted, stopped, error);
        }
    }

    /** Sleeps so the average rate since the start stays under the limit that applies now. */
    private void throttle() {
        SpeedLimits l = limits;
        long limit = busy.getAsBoolean() ? Math.max(l.minKiBps(), 1) : l.maxKiBps();
        if (limit <= 0) {
            return;
        }
        long doneKiB = (doneSectors - startedAtSector) / 2;
        long minNanos = doneKiB * 1_000_000_000L / limit;
        long elapsed = System.nanoTime() - startNanos;
        if (minNanos > elapsed) {
            try {
                Thread.sleep(Math.min(1000, (minNanos - elapsed) / 1_000_000L + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                thread.requestStop();
            }
        }
    }

    public boolean running() {
        return thread.running();
    }

    public long doneSectors() {
        return doneSectors;
    }

    public long counted() {
        return counted;
    }

    /** KiB/s per member since the start. */
    public long speedKiBps() {
        long elapsed = System.nanoTime() - startNanos;
        return elapsed <= 0 ? 0 : (doneSectors - startedAtSector) / 2 * 1_000_000_000L / elapsed;
    }

    /** Asks the sweep to stop after its current window and waits for it. */
    public void stop() {
        thread.stopAndWait();
    }

    public void await() throws InterruptedException {
        thread.await();
    }
}
