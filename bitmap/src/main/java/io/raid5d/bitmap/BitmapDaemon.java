package io.raid5d.bitmap;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link WriteIntentBitmap#daemonPass()} every daemon_sleep seconds on a scheduler (md's
 * bitmap daemon work in raid5d). Fixed delay, so two passes are at least daemon_sleep apart even
 * when one is slow; the pass checks the bitmap's clock as well.
 */
public final class BitmapDaemon implements AutoCloseable {
    private final ScheduledFuture<?> task;

    private BitmapDaemon(ScheduledFuture<?> task) {
        this.task = task;
    }

    /** Starts the daemon for {@code bitmap}; {@link #close()} stops it (the scheduler stays the caller's). */
    public static BitmapDaemon start(WriteIntentBitmap bitmap, ScheduledExecutorService scheduler) {
        long period = bitmap.daemonSleepSeconds();
        // daemonPass never throws for store errors (they fail the bitmap); a bug must not silently
        // stop the schedule either, so anything else is caught here too.
        Runnable pass = () -> {
            try {
                bitmap.daemonPass();
            } catch (RuntimeException e) {
                java.util.logging.Logger.getLogger(BitmapDaemon.class.getName())
                        .log(java.util.logging.Level.SEVERE, bitmap.describe() + ": bitmap daemon pass failed", e);
            }
        };
        return new BitmapDaemon(scheduler.scheduleWithFixedDelay(pass, period, period, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
