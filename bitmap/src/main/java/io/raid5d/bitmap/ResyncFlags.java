package io.raid5d.bitmap;

/**
 * The NEEDED / RESYNC flags of the chunk counters as a resync drives them (md's
 * bitmap_start_sync / bitmap_end_sync). Every method takes only the state lock.
 */
final class ResyncFlags {
    private final BitmapState state;

    ResyncFlags(BitmapState state) {
        this.state = state;
    }

    /** See {@link WriteIntentBitmap#startSync}. */
    boolean startSync(long chunk, boolean degraded) {
        state.checkChunk(chunk);
        synchronized (state) {
            int v = state.counters.get(chunk);
            if (BitmapCounter.isResync(v)) {
                return true;
            }
            if (BitmapCounter.isNeeded(v)) {
                if (!degraded) {
                    state.counters.set(chunk, (v | BitmapCounter.RESYNC) & ~BitmapCounter.NEEDED);
                }
                return true;
            }
            return false;
        }
    }

    /** See {@link WriteIntentBitmap#endSync}. */
    void endSync(long chunk, boolean aborted) {
        state.checkChunk(chunk);
        synchronized (state) {
            int v = state.counters.get(chunk);
            if (!BitmapCounter.isResync(v)) {
                return;
            }
            v &= ~BitmapCounter.RESYNC;
            if (!BitmapCounter.isNeeded(v) && aborted) {
                v |= BitmapCounter.NEEDED;
            } else if (v <= BitmapCounter.IDLE) {
                state.counters.markPending(chunk);
            }
            state.counters.set(chunk, v);
        }
    }

    long nextSyncChunk(long fromChunk) {
        synchronized (state) {
            return state.counters.nextFlagged(fromChunk);
        }
    }

    long syncChunkCount() {
        long n = 0;
        synchronized (state) {
            for (long c = state.counters.nextFlagged(0); c >= 0; c = state.counters.nextFlagged(c + 1)) {
                n++;
            }
        }
        return n;
    }
}
