package io.raid5d.bitmap;

import java.util.concurrent.CompletableFuture;

/**
 * Counting member writes per chunk (md's bitmap_startwrite / bitmap_endwrite): sets bits in
 * memory, joins writes to the open batch, and marks chunks NEEDED when a write was not clean.
 * Every method takes only the state lock and never blocks on I/O.
 */
final class WriteCounting {
    private final BitmapState state;

    WriteCounting(BitmapState state) {
        this.state = state;
    }

    /** See {@link WriteIntentBitmap#startWrite}. */
    long startWrite(long memberSector, long sectors) {
        long first = state.firstChunk(memberSector, sectors);
        long last = state.lastChunk(memberSector, sectors);
        synchronized (state) {
            state.checkOpen();
            ChunkCounters counters = state.counters;
            for (long c = first; c <= last; c++) {
                if (BitmapCounter.count(counters.get(c)) == BitmapCounter.COUNTER_MAX) {
                    return WriteIntentBitmap.MUST_WAIT;
                }
            }
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                int n = BitmapCounter.count(v);
                if (n == 0) {
                    state.image.setBit(c);
                }
                if (n < BitmapCounter.IDLE) {
                    n = BitmapCounter.IDLE;
                }
                counters.set(c, (v & ~BitmapCounter.COUNTER_MAX) | (n + 1));
            }
            state.writesInFlight++;
            return state.batches.join();
        }
    }

    /** See {@link WriteIntentBitmap#whenStartable}. */
    CompletableFuture<Void> whenStartable(long memberSector, long sectors) {
        long first = state.firstChunk(memberSector, sectors);
        long last = state.lastChunk(memberSector, sectors);
        synchronized (state) {
            for (long c = first; c <= last; c++) {
                if (BitmapCounter.count(state.counters.get(c)) == BitmapCounter.COUNTER_MAX) {
                    if (state.counterRoom == null) {
                        state.counterRoom = new CompletableFuture<>();
                    }
                    return state.counterRoom;
                }
            }
            return BatchSequence.DONE;
        }
    }

    /** See {@link WriteIntentBitmap#endWrite}. */
    void endWrite(long memberSector, long sectors, boolean success, boolean degradedWrite) {
        long first = state.firstChunk(memberSector, sectors);
        long last = state.lastChunk(memberSector, sectors);
        CompletableFuture<Void> wake = null;
        synchronized (state) {
            ChunkCounters counters = state.counters;
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (BitmapCounter.count(v) <= BitmapCounter.IDLE || state.writesInFlight == 0) {
                    throw new IllegalStateException(state.name + ": unbalanced endWrite(" + memberSector + ", "
                            + sectors + "): chunk " + c + " has no write in flight (counter "
                            + BitmapCounter.describe(v) + ", " + state.writesInFlight + " writes in flight)");
                }
            }
            boolean clean = success && !degradedWrite && !state.degraded;
            if (clean && Long.compareUnsigned(state.header.getEventsCleared(), state.arrayEvents) < 0) {
                state.header.setEventsCleared(state.arrayEvents);
                state.needSync = true;
            }
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (!clean) {
                    v |= BitmapCounter.NEEDED;
                }
                if (BitmapCounter.count(v) == BitmapCounter.COUNTER_MAX && state.counterRoom != null) {
                    wake = state.counterRoom;
                    state.counterRoom = null;
                }
                v--;
                if (v <= BitmapCounter.IDLE) {
                    counters.markPending(c);
                }
                counters.set(c, v);
            }
            state.writesInFlight--;
        }
        if (wake != null) {
            wake.complete(null);
        }
    }

    /** See {@link WriteIntentBitmap#markNeeded}. */
    long markNeeded(long memberSector, long sectors) {
        long first = state.firstChunk(memberSector, sectors);
        long last = state.lastChunk(memberSector, sectors);
        synchronized (state) {
            state.checkOpen();
            ChunkCounters counters = state.counters;
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (BitmapCounter.count(v) == 0) {
                    state.image.setBit(c);
                }
                if (BitmapCounter.count(v) < BitmapCounter.IDLE) {
                    v = (v & ~BitmapCounter.COUNTER_MAX) | BitmapCounter.IDLE;
                }
                counters.set(c, v | BitmapCounter.NEEDED);
            }
            return state.batches.join();
        }
    }
}
