package io.raid5d.bitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * md's bitmap batch numbers ({@code seq_flush}, {@code seq_write}) and the futures of those who
 * wait for a batch.
 *
 * <p>A write started while {@code seqFlush == k} belongs to batch {@code k + 1} (the open batch).
 * Closing the batch ({@code seqFlush++}) takes every dirty page at that moment; when those pages
 * are written and synced, {@code seqWrite} becomes the closed batch's number and every waiter for a
 * batch {@code <= seqWrite} is released. Batches are written one after another, so
 * {@code seqWrite} only grows and a batch's completion never releases a later batch.
 *
 * <p>Guarded by the bitmap's state lock ({@link BitmapState}), except {@link #written()} (volatile).
 */
final class BatchSequence {
    static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Last closed batch. */
    private long seqFlush;
    /** Last batch whose pages are durable; written under the state lock, read anywhere. */
    private volatile long seqWrite;
    /** A write (or mark) joined the open batch since it opened. */
    private boolean openUsed;
    /** Futures by batch number; rarely more than two entries (the batch being written, the open one). */
    private final TreeMap<Long, CompletableFuture<Void>> waiters = new TreeMap<>();

    /** The open batch's number, recording that it has a member. */
    long join() {
        openUsed = true;
        return seqFlush + 1;
    }

    long open() {
        return seqFlush + 1;
    }

    long closed() {
        return seqFlush;
    }

    boolean openUsed() {
        return openUsed;
    }

    /** Closes the open batch; returns its number. */
    long close() {
        openUsed = false;
        return ++seqFlush;
    }

    long written() {
        return seqWrite;
    }

    /** Records batch {@code batch} as durable; returns the futures it releases (often none). */
    List<CompletableFuture<Void>> markWritten(long batch) {
        seqWrite = batch;
        if (waiters.isEmpty() || waiters.firstKey() > batch) {
            return List.of();
        }
        Map<Long, CompletableFuture<Void>> released = waiters.headMap(batch, true);
        List<CompletableFuture<Void>> out = new ArrayList<>(released.values());
        released.clear();
        return out;
    }

    /** Moves every waiting future into {@code out} (the bitmap failed or closed). */
    void drainAll(List<CompletableFuture<Void>> out) {
        out.addAll(waiters.values());
        waiters.clear();
    }

    /** A future completed when {@code batch} is durable (already completed if it is). */
    CompletableFuture<Void> future(long batch) {
        if (batch <= seqWrite) {
            return DONE;
        }
        return waiters.computeIfAbsent(batch, b -> new CompletableFuture<>());
    }
}
