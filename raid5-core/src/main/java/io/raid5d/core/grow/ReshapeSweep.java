package io.raid5d.core.grow;

import io.raid5d.core.geometry.Grow;
import io.raid5d.core.resync.StripeSweep;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The online grow's copy: array data read in the old geometry and written in the new one, a
 * step at a time, through the two stripe engines of a growing array (so a degraded member, the
 * cache and client writes are handled as for any request), with the {@link ReshapeWindow}
 * keeping client requests off the step. The reshape position is recorded on the members, after
 * the steps below it are durable, whenever {@link Grow#mustRecordBefore} asks for it, when a
 * client request waits for it, and at least every {@link #RECORD_EVERY_NANOS}; on a stop, at
 * the step reached. Throttled like md's sync_speed_min/max (KiB/s written per member).
 *
 * <p>Thread ownership: the sweep thread ({@code raid5-reshape-NAME}) owns the step buffer and
 * the counters; {@code progressSectors} and {@code speed} are read by reports (volatile).
 */
public final class ReshapeSweep {
    private static final Logger LOG = Logger.getLogger(ReshapeSweep.class.getName());
    /** md records at least every 10 s, bounding the work a crash repeats. */
    static final long RECORD_EVERY_NANOS = 10_000_000_000L;
    /** Array bytes a step copies at most: several new rows, so each member gets large requests. */
    static final int MAX_STEP_BYTES = 8 << 20;

    /** What the sweep needs of the growing array. */
    public interface Target {
        /** Reads array bytes in the old geometry. */
        CompletableFuture<Void> readOld(long offset, ByteBuffer dst);

        /** Writes array bytes in the new geometry. */
        CompletableFuture<Void> writeNew(long offset, ByteBuffer src);

        /** Completes when every new-geometry write so far is durable. */
        CompletableFuture<Void> flushNew();

        /** Records the reshape position (array sectors) in every member's superblock. */
        void record(long positionSectors) throws IOException;
    }

    /** Told where the sweep is (after each record) and how it ended, on the sweep thread. */
    public interface Progress {
        void recorded(long positionSectors);

        /** {@code error} null and not {@code stopped}: copied to the end, durable, not yet recorded finished. */
        void ended(long positionSectors, boolean stopped, Throwable error);
    }

    private final String arrayName;
    private final Grow grow;
    private final ReshapeWindow window;
    private final Target target;
    private final Progress progress;
    private final BooleanSupplier busy;
    private volatile StripeSweep.SpeedLimits limits;
    private final io.raid5d.core.resync.SweepThread thread = new io.raid5d.core.resync.SweepThread();
    private volatile long progressSectors;
    private volatile long startedAtSector;
    private volatile long startNanos;
    private volatile long records;

    public ReshapeSweep(String arrayName, Grow grow, ReshapeWindow window, Target target, Progress progress,
                        BooleanSupplier busy, StripeSweep.SpeedLimits limits) {
        this.arrayName = arrayName;
        this.grow = grow;
        this.window = window;
        this.target = target;
        this.progress = progress;
        this.busy = busy;
        this.limits = limits;
    }

    public void setLimits(StripeSweep.SpeedLimits limits) {
        this.limits = limits;
    }

    /** Starts copying at the recorded position {@code fromSector} (a multiple of the unit). */
    public synchronized void start(long fromSector) {
        progressSectors = fromSector;
        startedAtSector = fromSector;
        startNanos = System.nanoTime();
        thread.start("raid5-reshape-" + arrayName, () -> run(fromSector));
    }

    private void run(long fromSector) {
        long unit = grow.unitSectors();
        long end = grow.after().arraySectors();
        long oldEnd = grow.before().arraySectors();
        int maxUnits = (int) Math.max(1, MAX_STEP_BYTES / (unit * 512));
        // two buffers: the next step is read in the old geometry while the last one is written in the new
        ByteBuffer[] buffers = {ByteBuffer.allocateDirect((int) (maxUnits * unit * 512)),
                ByteBuffer.allocateDirect((int) (maxUnits * unit * 512))};
        int current = 0;
        long safe = fromSector;
        long p = fromSector; // steps below it are read (and written, or being written)
        Writing writing = new Writing(fromSector);
        long lastRecordNanos = System.nanoTime();
        Throwable error = null;
        try {
            while (p < end && !thread.stopRequested()) {
                if (p > safe && (grow.mustRecordBefore(p, safe) || System.nanoTime() - lastRecordNanos > RECORD_EVERY_NANOS)) {
                    writing.finish();
                    record(p);
                    safe = p;
                    lastRecordNanos = System.nanoTime();
                }
                int units = 1; // as many rows as need no record in between, and a quarter second's worth at the limit
                int most = Math.min(maxUnits, unitsPerQuarterSecond(unit));
                while (units < most && p + units * unit < end && !grow.mustRecordBefore(p + units * unit, safe)) {
                    units++;
                }
                long stepEnd = p + units * unit;
                window.beginStep(stepEnd * 512);
                ByteBuffer step = read(p, stepEnd, oldEnd, buffers[current]);
                writing.finish(); // the step before: written (its old cells and this step's do not overlap)
                if (writing.end > safe && window.waitingBelow(writing.end * 512)) {
                    record(writing.end); // a client waits for it: cheaper than its wait
                    safe = writing.end;
                    lastRecordNanos = System.nanoTime();
                }
                writing = new Writing(p, stepEnd, target.writeNew(p * 512, step));
                current ^= 1;
                p = stepEnd;
                throttle(p);
            }
            writing.finish();
            p = writing.end;
            if (p > safe) {
                target.flushNew().get(); // the end (or the stop) is durable before it is recorded
                if (p < end) {
                    record(p);
                }
            }
        } catch (ExecutionException e) {
            error = e.getCause() != null ? e.getCause() : e;
        } catch (IOException | RuntimeException e) {
            error = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = e;
        }
        if (error != null) {
            p = writing.end; // copied for sure
        }
        long at = p;
        boolean stopped = error == null && p < end;
        if (error != null) {
            Throwable logged = error;
            LOG.log(Level.SEVERE, "array " + arrayName + ": the grow stopped by an error at array sector " + at, logged);
        } else {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double mib = (at - startedAtSector) / 2048.0;
            LOG.info(() -> String.format("array %s: grow %s at array sector %d (%.0f MiB in %.2f s: %.1f MiB/s, %d records)",
                    arrayName, stopped ? "stopped" : "copied to the end", at, mib, seconds, seconds > 0 ? mib / seconds : 0.0,
                    records));
        }
        progress.ended(at, stopped, error);
    }

    /** A step's write in the new geometry, in flight. */
    private final class Writing {
        final long end;
        private final CompletableFuture<Void> done;

        Writing(long at) {
            this.end = at;
            this.done = null;
        }

        Writing(long from, long to, CompletableFuture<Void> done) {
            this.end = to;
            this.done = done;
        }

        /** Waits for the write; then the window's copied part reaches its end. */
        void finish() throws ExecutionException, InterruptedException {
            if (done != null) {
                done.get();
            }
            window.endStep(end * 512);
            progressSectors = end;
        }
    }

    /** Reads array sectors {@code [from, to)} in the old geometry (zeros past its end) into {@code buffer}. */
    private ByteBuffer read(long from, long to, long oldEnd, ByteBuffer buffer) throws ExecutionException, InterruptedException {
        int bytes = (int) ((to - from) * 512);
        ByteBuffer step = buffer.clear().limit(bytes).slice();
        int oldBytes = (int) (Math.max(0, Math.min(to, oldEnd) - from) * 512);
        if (oldBytes > 0) {
            target.readOld(from * 512, step.duplicate().limit(oldBytes)).get();
        }
        for (int i = oldBytes; i < bytes; i++) {
            step.put(i, (byte) 0); // md writes zeros past the old end
        }
        return step;
    }

    private void record(long position) throws IOException, ExecutionException, InterruptedException {
        target.flushNew().get(); // every step below it is on the members before the record says so
        target.record(position);
        records++;
        window.recorded(position * 512);
        progress.recorded(position);
    }

    /** Steps of the unit that the speed limit lets through in 250 ms (a throttled step keeps clients waiting no longer). */
    private int unitsPerQuarterSecond(long unit) {
        long limit = currentLimit();
        if (limit <= 0) {
            return Integer.MAX_VALUE;
        }
        long arrayBytes = limit * 1024 / 4 * grow.after().dataDisks();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, arrayBytes / (unit * 512)));
    }

    private long currentLimit() {
        StripeSweep.SpeedLimits l = limits;
        return busy.getAsBoolean() ? Math.max(l.minKiBps(), 1) : l.maxKiBps();
    }

    /** Sleeps so the rate since the start stays under the limit that applies now; a waiting request cuts the sleep. */
    private void throttle(long p) throws InterruptedException {
        while (!thread.stopRequested() && !window.waitingBelow(Long.MAX_VALUE)) {
            long limit = currentLimit();
            if (limit <= 0) {
                return;
            }
            long perMemberKiB = (p - startedAtSector) / grow.after().dataDisks() / 2;
            long dueNanos = perMemberKiB * 1_000_000_000L / limit;
            long elapsed = System.nanoTime() - startNanos;
            if (dueNanos <= elapsed) {
                return;
            }
            window.sleepUnlessWaited(Math.min(100, (dueNanos - elapsed) / 1_000_000L + 1));
        }
    }

    public boolean running() {
        return thread.running();
    }

    /** Array sectors copied so far (below it, the new geometry). */
    public long progressSectors() {
        return progressSectors;
    }

    /** KiB/s written per member since the start. */
    public long speedKiBps() {
        long elapsed = System.nanoTime() - startNanos;
        long perMember = (progressSectors - startedAtSector) / grow.after().dataDisks() / 2;
        return elapsed <= 0 ? 0 : perMember * 1_000_000_000L / elapsed;
    }

    /** Asks the sweep to stop after its step and waits for it (the position it reached is recorded). */
    public void stop() {
        thread.stopAndWait();
    }

    public void await() throws InterruptedException {
        thread.await();
    }
}
