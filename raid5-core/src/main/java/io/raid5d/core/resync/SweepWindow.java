package io.raid5d.core.resync;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The stripes of a window of rows {@code [.., endRow)} in flight together. Sweeps keep
 * {@link #IN_FLIGHT} windows queued so the members never wait for the sweep, and advance their
 * progress only past the oldest window once all its stripes are done.
 */
record SweepWindow(long endRow, CompletableFuture<Long>[] stripes) {
    /** Windows a sweep keeps queued: 128 heads, half of md's default stripe cache; the rest stays for clients. */
    static final int IN_FLIGHT = 2;

    /** Starts the stripes of rows {@code [row, endRow)}, {@code perRow} heads a row, with {@code action}. */
    static SweepWindow start(long row, long endRow, int perRow, StripeSweep.StripeAction action) {
        int count = (int) ((endRow - row) * perRow);
        @SuppressWarnings("unchecked")
        CompletableFuture<Long>[] stripes = new CompletableFuture[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = action.run(row * perRow + i);
        }
        return new SweepWindow(endRow, stripes);
    }

    /** The sum of the stripes' counts; a failed stripe throws its CompletionException. */
    long join() {
        long sum = 0;
        for (CompletableFuture<Long> f : stripes) {
            sum += f.join();
        }
        return sum;
    }

    /** Waits for every stripe, ignoring failures (the sweep already stops for the first). */
    void awaitQuietly() {
        for (CompletableFuture<Long> f : stripes) {
            try {
                f.join();
            } catch (CompletionException | CancellationException e) {
                // reported by whoever joined first
            }
        }
    }
}
