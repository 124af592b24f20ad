package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every store call of a bitmap, serialised by the I/O lock: page writes (the header encoded into
 * page 0), syncs, close, and the first failure, after which nothing more is written.
 *
 * <p>The I/O lock is taken before the {@link BitmapState} lock, never after. Callers bracket
 * their I/O with {@link #lock()} / {@link #unlock()}; unlock fails the waiters a failure took
 * once the outermost I/O section ends, so their continuations run with no lock held.
 */
final class PageWriter {
    /** One logger per bitmap, whatever part logs. */
    private static final Logger LOG = Logger.getLogger(WriteIntentBitmap.class.getName());

    private final BitmapStore store;
    private final BitmapState state;
    private final LongAdder pageWrites = new LongAdder();
    private final LongAdder storeSyncs = new LongAdder();

    // ---- guarded by ioLock
    private final ReentrantLock ioLock = new ReentrantLock();
    /** Page numbers taken from the image for one write; reused, so no allocation per batch. */
    private final int[] pages;
    private final ByteBuffer buffer = ByteBuffer.allocate(BitmapStore.PAGE_BYTES);

    PageWriter(BitmapStore store, BitmapState state) {
        this.store = store;
        this.state = state;
        this.pages = new int[state.image.pages()];
    }

    void lock() {
        ioLock.lock();
    }

    /** Unlocks the I/O lock, then fails the waiters {@link #fail} took (continuations may call back in). */
    void unlock() {
        ioLock.unlock();
        if (ioLock.isHeldByCurrentThread()) {
            return; // still inside an outer I/O section; it fails them on its way out
        }
        List<CompletableFuture<Void>> waiting;
        IOException cause;
        synchronized (state) {
            if (state.failedWaiters.isEmpty()) {
                return;
            }
            waiting = new ArrayList<>(state.failedWaiters);
            state.failedWaiters.clear();
            cause = state.failure;
        }
        for (CompletableFuture<Void> f : waiting) {
            f.completeExceptionally(cause);
        }
    }

    /** The page buffer of page numbers for {@code image.takeDirty/takeCleared}. Caller holds the I/O lock. */
    int[] pageList() {
        return pages;
    }

    /** Copies the page (header encoded into page 0) under the state lock and writes it. Caller holds the I/O lock. */
    void writePage(int page) throws IOException {
        synchronized (state) {
            state.image.copyPage(page, state.header, buffer);
        }
        store.writePage(page, buffer);
        pageWrites.increment();
    }

    /** Writes the first {@code n} pages of {@link #pageList()} and syncs if any. Caller holds the I/O lock. */
    void writeListed(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            writePage(pages[i]);
        }
        if (n > 0) {
            sync();
        }
    }

    /** Writes every page of the image and syncs. Caller holds the I/O lock. */
    void writeAll() throws IOException {
        for (int p = 0; p < state.image.pages(); p++) {
            writePage(p);
        }
        sync();
    }

    /** Writes the header page and syncs. Caller holds the I/O lock. */
    void writeHeader() throws IOException {
        writePage(0);
        sync();
    }

    /** Syncs the store and counts it. Caller holds the I/O lock. */
    void sync() throws IOException {
        store.sync();
        storeSyncs.increment();
    }

    void closeStore() throws IOException {
        store.close();
    }

    /**
     * Records the first store failure and takes every waiter; they are failed by
     * {@link #unlock()}, outside the I/O lock. Caller holds the I/O lock.
     */
    void fail(Throwable e) {
        IOException cause = e instanceof IOException ? (IOException) e
                : new IOException(state.name + ": bitmap write failed: " + e, e);
        synchronized (state) {
            if (state.failure == null) {
                state.failure = cause;
                state.header.setState(state.header.getState() | BitmapSuperblock.STATE_WRITE_ERROR);
            }
            state.flushRunning = false;
            state.batches.drainAll(state.failedWaiters);
        }
        LOG.log(Level.SEVERE, state.name + ": bitmap write failed; no further bitmap writes", e);
    }

    long pageWrites() {
        return pageWrites.sum();
    }

    long storeSyncs() {
        return storeSyncs.sum();
    }
}
