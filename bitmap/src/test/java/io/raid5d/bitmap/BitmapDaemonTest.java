package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon is scheduled every daemon_sleep with a fixed delay, and its task is the daemon pass. */
class BitmapDaemonTest {

    /** Records what the daemon schedules and parks it far in the future; the test runs it by hand. */
    private static final class RecordingScheduler extends ScheduledThreadPoolExecutor {
        Runnable command;
        long initialDelay;
        long delay;
        TimeUnit unit;
        ScheduledFuture<?> future;

        RecordingScheduler() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            this.command = command;
            this.initialDelay = initialDelay;
            this.delay = delay;
            this.unit = unit;
            this.future = super.scheduleWithFixedDelay(command, 1, 1, TimeUnit.DAYS);
            return future;
        }
    }

    @Test
    void schedulesPassesDaemonSleepApartAndStopsOnClose() throws Exception {
        FakeClock clock = new FakeClock();
        MemoryBitmapStore store = TestBitmaps.cleanStore();
        WriteIntentBitmap bm = TestBitmaps.open(store, clock);
        RecordingScheduler scheduler = new RecordingScheduler();
        try {
            BitmapDaemon daemon = BitmapDaemon.start(bm, scheduler);
            assertEquals(5, scheduler.initialDelay);
            assertEquals(5, scheduler.delay);
            assertEquals(TimeUnit.SECONDS, scheduler.unit);

            bm.startWrite(sector(3), 8);
            bm.unplug().join();
            bm.endWrite(sector(3), 8, true, false);
            clock.advanceSeconds(5);
            scheduler.command.run();
            assertTrue(store.durableBitSet(3));
            clock.advanceSeconds(5);
            scheduler.command.run();
            assertFalse(store.durableBitSet(3));

            daemon.close();
            assertTrue(scheduler.future.isCancelled());
        } finally {
            scheduler.shutdownNow();
            bm.close();
        }
    }
}
