package io.raid5d.core.resync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sweep behind resync, rebuild and scrub: it visits every head of every row from where it
 * starts, or only the rows the skip function calls worth doing (a bitmap re-add), reports
 * progress in whole rows and the counted total, and ends with the right reason.
 */
class StripeSweepTest {
    private static final Geometry G = Geometry.of(4, 16, Layout.LEFT_SYMMETRIC, 16 * 100); // 100 rows of 8 KiB chunks
    private static final int HEADS_PER_ROW = 2;

    private record Outcome(long done, long counted, boolean stopped, Throwable error) {
    }

    private static Outcome sweep(StripeSweep.StripeAction action, java.util.function.LongUnaryOperator skip, long from,
                                 List<Long> visited) throws Exception {
        AtomicReference<Outcome> end = new AtomicReference<>();
        StripeSweep s = new StripeSweep("t", "test", G, HEADS_PER_ROW, stripe -> {
            visited.add(stripe);
            return action.run(stripe);
        }, skip, new StripeSweep.Progress() {
            @Override
            public void advanced(long doneSectors, long counted) {
                assertEquals(0, doneSectors % G.chunkSectors(), "progress in whole rows");
            }

            @Override
            public void finished(long doneSectors, long counted, boolean stopped, Throwable error) {
                end.set(new Outcome(doneSectors, counted, stopped, error));
            }
        }, () -> false, new StripeSweep.SpeedLimits(1000, 0));
        s.start(from);
        s.await();
        assertFalse(s.running());
        return end.get();
    }

    /**
     * md's sync_speed_min holds while clients do I/O and sync_speed_max when idle, also with two
     * windows in flight: 800 KiB per member at 400 KiB/s cannot end in less than about 2 s, and
     * the limit in force follows the busy signal. (Lower bounds only: a slow machine may take longer.)
     */
    @Test
    void theSpeedLimitInForceHoldsWithWindowsInFlight() throws Exception {
        for (boolean busy : new boolean[] {true, false}) {
            java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
            StripeSweep.SpeedLimits limits = busy ? new StripeSweep.SpeedLimits(400, 0) : new StripeSweep.SpeedLimits(1, 400);
            StripeSweep s = new StripeSweep("t", "test", G, HEADS_PER_ROW, stripe -> CompletableFuture.completedFuture(0L),
                    x -> x, new StripeSweep.Progress() {
                        @Override
                        public void advanced(long doneSectors, long counted) {
                        }

                        @Override
                        public void finished(long doneSectors, long counted, boolean stopped, Throwable error) {
                            ended.countDown();
                        }
                    }, () -> busy, limits);
            long t0 = System.nanoTime();
            s.start(0);
            s.await();
            double seconds = (System.nanoTime() - t0) / 1e9;
            // 100 rows of 8 KiB = 800 KiB per member; the last window may end before its sleep
            assertTrue(seconds >= 1.7, (busy ? "min while busy" : "max when idle") + ": took " + seconds + " s");
            assertTrue(ended.await(1, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void visitsEveryHeadFromTheStartRowAndCounts() throws Exception {
        List<Long> visited = new CopyOnWriteArrayList<>();
        Outcome o = sweep(stripe -> CompletableFuture.completedFuture(1L), s -> s, 10 * 16 + 5, visited);
        assertEquals(90 * HEADS_PER_ROW, visited.size(), "rows 10..99, the partial start row included");
        assertEquals(10 * HEADS_PER_ROW, (long) visited.stream().mapToLong(Long::longValue).min().getAsLong());
        assertEquals(G.memberSectors(), o.done());
        assertEquals(90 * HEADS_PER_ROW, o.counted());
        assertFalse(o.stopped());
        assertNull(o.error());
    }

    @Test
    void theSkipFunctionLimitsTheSweepToDirtyRows() throws Exception {
        // dirty: rows 20..21 and 70 (as a bitmap re-add's nextDirtySector reports them)
        java.util.function.LongUnaryOperator dirty = sector -> {
            long row = sector / 16;
            if (row <= 21) {
                return Math.max(sector, 20 * 16);
            }
            return row <= 70 ? Math.max(sector, 70 * 16) : Long.MAX_VALUE;
        };
        List<Long> visited = new CopyOnWriteArrayList<>();
        Outcome o = sweep(stripe -> CompletableFuture.completedFuture(0L), dirty, 0, visited);
        assertEquals(List.of(40L, 41L, 42L, 43L, 140L, 141L), visited.stream().sorted().toList());
        assertEquals(G.memberSectors(), o.done(), "finished: nothing after the last dirty row");
    }

    @Test
    void anErrorEndsTheSweepAtTheLastWholeWindow() throws Exception {
        List<Long> visited = new CopyOnWriteArrayList<>();
        Outcome o = sweep(stripe -> stripe == 2 * 70 ? CompletableFuture.failedFuture(new java.io.IOException("boom"))
                : CompletableFuture.completedFuture(0L), s -> s, 0, visited);
        assertTrue(o.error() instanceof java.io.IOException, String.valueOf(o.error()));
        assertTrue(o.done() < 70 * 16, "no progress past the failing row: " + o.done());
    }
}
