package io.raid5d.bitmap;

import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * md's bitmap daemon pass: lazy clearing of bits whose chunks stayed idle for two passes at least
 * daemon_sleep apart, and the forced passes of a clean stop (md_bitmap_flush).
 */
final class IdleBitClearer {
    /** md_bitmap_flush runs the daemon three times so that every idle bit gets cleared. */
    private static final int CLEARING_PASSES = 3;

    private final BitmapState state;
    private final PageWriter io;
    private final LongSupplier clock;
    private final long daemonSleepNanos;
    /** Guarded by the I/O lock. */
    private long lastRun;

    IdleBitClearer(BitmapState state, PageWriter io, LongSupplier clock, long daemonSleepNanos) {
        this.state = state;
        this.io = io;
        this.clock = clock;
        this.daemonSleepNanos = daemonSleepNanos;
        this.lastRun = clock.getAsLong();
    }

    /** See {@link WriteIntentBitmap#daemonPass()}; {@code force} ignores daemon_sleep. */
    boolean pass(boolean force) {
        io.lock();
        try {
            long now = clock.getAsLong();
            if (!force && now - lastRun < daemonSleepNanos) {
                return false;
            }
            lastRun = now;
            boolean writeHeader;
            synchronized (state) {
                if (state.closed || state.failure != null) {
                    return true;
                }
                writeHeader = state.needSync;
                state.needSync = false;
            }
            if (writeHeader) {
                // events_cleared must be durable before any bit cleared under it.
                io.writeHeader();
            }
            int n;
            synchronized (state) {
                if (!state.degraded) {
                    stepIdleCounters();
                }
                n = state.image.takeCleared(io.pageList());
            }
            io.writeListed(n);
            return true;
        } catch (IOException | RuntimeException e) {
            io.fail(e);
            return true;
        } finally {
            io.unlock();
        }
    }

    /** Steps every pending idle counter 2 -> 1 and 1 -> 0 (clearing its bit). Caller holds the state lock. */
    private void stepIdleCounters() {
        ChunkCounters counters = state.counters;
        for (int g = 0; g < counters.groups(); g++) {
            if (!counters.takePending(g)) {
                continue;
            }
            long end = Math.min(state.chunkCount, (long) (g + 1) << ChunkCounters.GROUP_SHIFT);
            for (long c = (long) g << ChunkCounters.GROUP_SHIFT; c < end; c++) {
                int v = counters.get(c);
                if (v == BitmapCounter.CLEAR_NEXT && !state.needSync) {
                    counters.set(c, 0);
                    state.image.clearBit(c);
                } else if (v == BitmapCounter.CLEAR_NEXT || v == BitmapCounter.IDLE) {
                    counters.set(c, BitmapCounter.CLEAR_NEXT);
                    counters.markPending(c);
                }
            }
        }
    }

    /** See {@link WriteIntentBitmap#clearIdleBits()}. */
    long clearAll() throws IOException {
        for (int i = 0; i < CLEARING_PASSES; i++) {
            pass(true);
        }
        synchronized (state) {
            if (state.failure != null) {
                throw state.failure;
            }
            return state.image.countSet();
        }
    }
}
