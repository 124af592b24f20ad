package io.raid5d.bitmap;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The batch protocol of a bitmap (md's seq_flush / seq_write): closing the open batch, writing its
 * dirty pages on the writer executor, and releasing those who wait for it (futures and the
 * engine's listener).
 *
 * <p>Futures are completed and the listener called on the thread that finished the batch, with no
 * lock held: a continuation may call back into the bitmap.
 */
final class BatchWriter {
    private static final Logger LOG = Logger.getLogger(WriteIntentBitmap.class.getName());

    private final BitmapState state;
    private final PageWriter io;
    private final Executor writer;
    private final Runnable flushTask = this::runFlushTask;

    /** Told released batch numbers; set by the engine, read by whoever releases a batch. */
    private volatile LongConsumer listener;
    /** Serialises listener calls; guards lastNotified. Taken with no other lock held. */
    private final Object listenerLock = new Object();
    private long lastNotified;

    /** A written batch and the futures it releases, handed out of the I/O lock. */
    record Released(long batch, List<CompletableFuture<Void>> futures) {
    }

    BatchWriter(BitmapState state, PageWriter io, Executor writer) {
        this.state = state;
        this.io = io;
        this.writer = writer;
    }

    void setListener(LongConsumer listener) {
        this.listener = listener;
    }

    /** See {@link WriteIntentBitmap#unplug()}. */
    CompletableFuture<Void> unplug() {
        CompletableFuture<Void> result;
        List<CompletableFuture<Void>> released = List.of();
        long releasedBatch = -1;
        boolean submit = false;
        synchronized (state) {
            if (state.failure != null) {
                return CompletableFuture.failedFuture(state.failure);
            }
            if (state.closed) {
                return CompletableFuture.failedFuture(state.closedException());
            }
            BatchSequence batches = state.batches;
            if (!batches.openUsed()) {
                return batches.future(batches.closed());
            }
            if (!state.flushRunning && !state.flushQueued && state.image.dirtyCount() == 0) {
                // Every bit of the open batch is already durable: close and release without I/O.
                releasedBatch = batches.close();
                released = batches.markWritten(releasedBatch);
                result = BatchSequence.DONE;
            } else {
                result = batches.future(batches.open());
                if (!state.flushQueued) {
                    state.flushQueued = true;
                    submit = true;
                }
            }
        }
        if (releasedBatch >= 0) {
            release(new Released(releasedBatch, released));
        }
        if (submit) {
            try {
                writer.execute(flushTask);
            } catch (RejectedExecutionException e) {
                synchronized (state) {
                    state.flushQueued = false;
                }
                return CompletableFuture.failedFuture(
                        new IOException(state.name + ": bitmap writer refused the batch write", e));
            }
        }
        return result;
    }

    /** See {@link WriteIntentBitmap#batchWritten(long)}. */
    CompletableFuture<Void> batchWritten(long batch) {
        synchronized (state) {
            if (batch <= state.batches.written()) {
                return BatchSequence.DONE;
            }
            if (state.failure != null) {
                return CompletableFuture.failedFuture(state.failure);
            }
            if (state.closed) {
                return CompletableFuture.failedFuture(state.closedException());
            }
            return state.batches.future(batch);
        }
    }

    private void runFlushTask() {
        Released done;
        io.lock();
        try {
            done = flushBatch();
        } finally {
            io.unlock();
        }
        // released with no lock held: a waiter's continuation may call back into the bitmap
        if (done != null) {
            release(done);
        }
    }

    /**
     * Closes the open batch and writes its dirty pages. Caller holds the I/O lock and releases the
     * result after unlocking; null when nothing was written (closed, failed).
     */
    Released flushBatch() {
        long batch;
        int n;
        synchronized (state) {
            state.flushQueued = false;
            if (state.closed || state.failure != null) {
                return null;
            }
            batch = state.batches.close();
            n = state.image.takeDirty(io.pageList());
            state.flushRunning = true;
        }
        try {
            io.writeListed(n);
        } catch (IOException | RuntimeException e) {
            io.fail(e);
            return null;
        }
        synchronized (state) {
            state.flushRunning = false;
            return new Released(batch, state.batches.markWritten(batch));
        }
    }

    /**
     * Tells the listener first, then completes the futures (a completed future implies the listener
     * has seen that batch). Batches are released by the writer and by unplug callers (no I/O), so
     * the listener is called under its own small lock with the newest written batch, only when it
     * grew: calls never overlap and their numbers only increase (some may be skipped).
     */
    void release(Released done) {
        LongConsumer l = listener;
        if (l != null) {
            synchronized (listenerLock) {
                long now = state.batches.written();
                if (now > lastNotified) {
                    lastNotified = now;
                    try {
                        l.accept(now);
                    } catch (RuntimeException e) {
                        LOG.log(Level.SEVERE, state.name + ": bitmap batch listener failed", e);
                    }
                }
            }
        }
        for (CompletableFuture<Void> f : done.futures()) {
            f.complete(null);
        }
    }
}
