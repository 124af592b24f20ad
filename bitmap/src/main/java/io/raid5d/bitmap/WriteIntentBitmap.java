package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * md's write-intent bitmap: one bit per bitmap chunk of member sectors, set on disk before any
 * member write to the chunk and cleared lazily once the chunk has been idle for two daemon periods.
 *
 * <p><b>Write protocol</b> (for a stripe engine):
 * <ol>
 *   <li>{@link #startWrite} before the stripe's first write: counts the write, sets the chunks'
 *       bits in memory and returns the batch {@code bmSeq} the stripe belongs to (or
 *       {@link #MUST_WAIT} when a chunk's counter is full: wait for {@link #whenStartable}).</li>
 *   <li>The stripe may write members only once {@link #isWritten isWritten(bmSeq)}: someone must
 *       call {@link #unplug()} to close the batch; its dirty pages are written and synced (each
 *       page once, however many stripes dirtied it), then the batch is released: futures from
 *       {@link #batchWritten} complete and the {@link #setBatchListener listener} is told.</li>
 *   <li>{@link #endWrite} exactly once per startWrite, when the member writes are done.</li>
 * </ol>
 * A failed or degraded write leaves the chunk NEEDED: its bit stays set until a resync
 * ({@link #startSync}/{@link #endSync}) clears the flag. The daemon ({@link #daemonPass}, run by a
 * {@link BitmapDaemon}) clears idle bits two passes of at least daemon_sleep apart, never while the
 * array is degraded.
 *
 * <p><b>Threads and locks.</b> Two locks, always taken in this order: {@code ioLock} (a
 * ReentrantLock serialising every store call: batch writes, daemon writes, header writes, close),
 * then the state monitor {@code lock} (counters, in-memory image, batch numbers, header fields;
 * held briefly, never across I/O). startWrite/endWrite/unplug/startSync/endSync take only the state
 * lock and never block on I/O; unplug hands the write to the writer executor. Futures are completed
 * and the listener called on the thread that finished the batch, with no lock held.
 */
public final class WriteIntentBitmap implements Closeable {
    /** {@link #startWrite} result: a chunk's counter is at COUNTER_MAX; nothing was counted. */
    public static final long MUST_WAIT = -1;

    private final java.util.concurrent.atomic.LongAdder pageWrites = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder storeSyncs = new java.util.concurrent.atomic.LongAdder();

    private static final Logger LOG = Logger.getLogger(WriteIntentBitmap.class.getName());
    private static final int PAGE = BitmapStore.PAGE_BYTES;
    /** md_bitmap_flush runs the daemon three times so that every idle bit gets cleared. */
    private static final int CLEARING_PASSES = 3;

    // ---- immutable after open
    private final BitmapStore store;
    private final String name;
    private final long chunkCount;
    /** log2 of the bitmap chunk in sectors. */
    private final int chunkShift;
    private final long daemonSleepNanos;
    private final Executor writer;
    private final LongSupplier clock;
    private final Runnable flushTask = this::runFlushTask;
    private final boolean staleOnOpen;
    private final List<String> openMessages;

    // ---- guarded by lock (the state lock)
    private final Object lock = new Object();
    /** The header as it will next be written (events, events_cleared, state). */
    private final BitmapSuperblock header;
    private final ChunkCounters counters;
    private final BitmapImage image;
    private final BatchSequence batches = new BatchSequence();
    /** The array's events as last passed in (open or setEvents): md's mddev->events. */
    private long arrayEvents;
    private boolean degraded;
    /** events_cleared moved on and the header must be written before a bit is cleared. */
    private boolean needSync;
    /** A flush task is submitted and has not closed its batch yet. */
    private boolean flushQueued;
    /** A flush task closed a batch and is writing it (seqWrite < seqFlush meanwhile). */
    private boolean flushRunning;
    /** First store failure; the bitmap writes nothing after it. */
    private IOException failure;
    private boolean closed;
    /** startWrite calls not yet matched by endWrite (the balance). */
    private long writesInFlight;
    /** Shared future for writers that met a full counter; null when nobody waits. */
    private CompletableFuture<Void> counterRoom;
    /** Waiters of a failed bitmap, to be failed once the I/O lock is released. */
    private final List<CompletableFuture<Void>> failedWaiters = new ArrayList<>();

    // ---- guarded by ioLock (all store I/O)
    private final ReentrantLock ioLock = new ReentrantLock();
    private final int[] ioPages;
    private final ByteBuffer ioBuffer = ByteBuffer.allocate(PAGE);
    private long daemonLastRun;

    /** Told released batch numbers; set by the engine, read by whoever releases a batch. */
    private volatile LongConsumer batchListener;
    /** Serialises listener calls; guards lastNotified. Taken with no other lock held. */
    private final Object listenerLock = new Object();
    private long lastNotified;

    private WriteIntentBitmap(BitmapStore store, BitmapSuperblock header, ByteBuffer bits, BitmapOpenOptions o,
                              boolean stale, List<String> messages) {
        this.store = store;
        this.name = store.describe();
        this.header = header;
        this.chunkCount = header.bitCount();
        this.chunkShift = Integer.numberOfTrailingZeros(header.getChunkSize() >>> 9);
        this.daemonSleepNanos = header.getDaemonSleep() * 1_000_000_000L;
        this.writer = o.writer();
        this.clock = o.nanoClock();
        this.staleOnOpen = stale;
        this.openMessages = List.copyOf(messages);
        this.counters = new ChunkCounters(chunkCount);
        this.image = new BitmapImage(header, bits);
        this.ioPages = new int[image.pages()];
        this.arrayEvents = o.arrayEvents();
        this.degraded = o.degraded();
        this.daemonLastRun = clock.getAsLong();
    }

    /**
     * Reads the bitmap from {@code store} and sets up the counters as md does on assembly: a set
     * bit becomes an idle counter (the daemon clears it after two passes unless it is NEEDED); it is
     * NEEDED when its chunk reaches the array's resync_offset (for a degraded array whose bitmap has
     * cleared bits since the last event: every set bit). A stale bitmap (state STALE, or events
     * older than the array's) gets every bit set and written before this returns, and
     * events_cleared = the array's events, as md's "bitmap file is out of date" path does.
     *
     * @throws BitmapFormatException naming the store: no bitmap, other array, wrong size
     */
    public static WriteIntentBitmap open(BitmapStore store, BitmapOpenOptions options)
            throws IOException, BitmapFormatException {
        String name = store.describe();
        ByteBuffer area = store.readArea();
        BitmapSuperblock header;
        try {
            header = BitmapSuperblock.decode(area);
        } catch (BitmapFormatException e) {
            throw new BitmapFormatException(name + ": " + e.getMessage(), e);
        }
        byte[] uuid = options.arrayUuid();
        if (uuid != null && !Arrays.equals(uuid, header.getUuid())) {
            throw new BitmapFormatException(name + ": bitmap superblock UUID mismatch: bitmap belongs to "
                    + hex(header.getUuid()) + ", array is " + hex(uuid));
        }
        if (options.componentSectors() >= 0 && header.getSyncSize() != options.componentSectors()) {
            throw new BitmapFormatException(name + ": bitmap covers " + header.getSyncSize()
                    + " sectors per member but the array uses " + options.componentSectors());
        }
        if (header.getChunkSize() < 512 || header.bitCount() == 0) {
            throw new BitmapFormatException(name + ": bitmap has no chunks (sync_size " + header.getSyncSize() + ")");
        }
        long needBytes = BitmapSuperblock.SIZE + header.bitsBytes();
        if (area.remaining() < needBytes) {
            throw new BitmapFormatException(name + ": bitmap too short: " + area.remaining() + " bytes, need "
                    + needBytes + " for " + header.bitCount() + " bits");
        }
        List<String> messages = new ArrayList<>();
        boolean stale = header.isStale();
        if (Long.compareUnsigned(header.getEvents(), options.arrayEvents()) < 0) {
            messages.add(String.format(Locale.ROOT, "%s: bitmap file is out of date (%s < %s) -- forcing full recovery",
                    name, Long.toUnsignedString(header.getEvents()), Long.toUnsignedString(options.arrayEvents())));
            stale = true;
        } else if (stale) {
            messages.add(name + ": bitmap file is out of date, doing full recovery");
        }
        if (stale) {
            header.setState(header.getState() | BitmapSuperblock.STATE_STALE);
            header.setEventsCleared(options.arrayEvents());
        }
        for (String m : messages) {
            LOG.warning(m);
        }
        WriteIntentBitmap bitmap = new WriteIntentBitmap(store, header, area, options, stale, messages);
        bitmap.loadCounters(options);
        return bitmap;
    }

    private void loadCounters(BitmapOpenOptions o) throws IOException {
        long start = 0;
        if (!o.degraded() || header.getEventsCleared() == o.arrayEvents()) {
            start = o.resyncOffset(); // a degraded array keeps every bit needed for a re-add
        }
        synchronized (lock) {
            for (long c = 0; c < chunkCount; c++) {
                if (staleOnOpen) {
                    image.setBit(c);
                }
                if (image.isSet(c)) {
                    boolean needed = Long.compareUnsigned((c + 1) << chunkShift, start) >= 0;
                    counters.set(c, BitmapCounter.IDLE | (needed ? BitmapCounter.NEEDED : 0));
                    counters.markPending(c);
                }
            }
        }
        if (staleOnOpen) {
            // Every bit must be durable before the header may drop STALE (at the next setEvents).
            ioLock.lock();
            try {
                synchronized (lock) {
                    image.takeDirty(ioPages);
                }
                for (int p = 0; p < image.pages(); p++) {
                    writePage(p);
                }
                syncStore();
            } finally {
                unlockIo();
            }
        }
    }

    // ---- writes ------------------------------------------------------------------------------

    /**
     * Counts a write of {@code sectors} member sectors at {@code memberSector} (counted from the
     * data offset) and sets its chunks' bits in memory.
     *
     * @return the batch the write belongs to (positive): the write may reach members once
     *         {@link #isWritten} says so; or {@link #MUST_WAIT} if a chunk already has COUNTER_MAX
     *         writes counted (nothing was counted: retry after {@link #whenStartable})
     * @throws IllegalArgumentException for a range outside the bitmap
     */
    public long startWrite(long memberSector, long sectors) {
        long first = firstChunk(memberSector, sectors);
        long last = lastChunk(memberSector, sectors);
        synchronized (lock) {
            checkOpen();
            for (long c = first; c <= last; c++) {
                if (BitmapCounter.count(counters.get(c)) == BitmapCounter.COUNTER_MAX) {
                    return MUST_WAIT;
                }
            }
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                int n = BitmapCounter.count(v);
                if (n == 0) {
                    image.setBit(c);
                }
                if (n < BitmapCounter.IDLE) {
                    n = BitmapCounter.IDLE;
                }
                counters.set(c, (v & ~BitmapCounter.COUNTER_MAX) | (n + 1));
            }
            writesInFlight++;
            return batches.join();
        }
    }

    /**
     * Completes when a write of this range can be counted (no chunk at COUNTER_MAX): at once if it
     * can now, else on the next endWrite that takes a full counter down.
     */
    public CompletableFuture<Void> whenStartable(long memberSector, long sectors) {
        long first = firstChunk(memberSector, sectors);
        long last = lastChunk(memberSector, sectors);
        synchronized (lock) {
            for (long c = first; c <= last; c++) {
                if (BitmapCounter.count(counters.get(c)) == BitmapCounter.COUNTER_MAX) {
                    if (counterRoom == null) {
                        counterRoom = new CompletableFuture<>();
                    }
                    return counterRoom;
                }
            }
            return BatchSequence.DONE;
        }
    }

    /**
     * Ends a write counted by {@link #startWrite} with the same range. Unless it succeeded on a
     * non-degraded array, its chunks become NEEDED (their bits stay set until resynced).
     *
     * @param degradedWrite the write went to a degraded stripe (a member missing or failed)
     * @throws IllegalStateException if a chunk of the range has no write in flight (unbalanced
     *                               calls); nothing is changed then
     */
    public void endWrite(long memberSector, long sectors, boolean success, boolean degradedWrite) {
        long first = firstChunk(memberSector, sectors);
        long last = lastChunk(memberSector, sectors);
        CompletableFuture<Void> wake = null;
        synchronized (lock) {
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (BitmapCounter.count(v) <= BitmapCounter.IDLE || writesInFlight == 0) {
                    throw new IllegalStateException(name + ": unbalanced endWrite(" + memberSector + ", " + sectors
                            + "): chunk " + c + " has no write in flight (counter " + BitmapCounter.describe(v)
                            + ", " + writesInFlight + " writes in flight)");
                }
            }
            boolean clean = success && !degradedWrite && !degraded;
            if (clean && Long.compareUnsigned(header.getEventsCleared(), arrayEvents) < 0) {
                header.setEventsCleared(arrayEvents);
                needSync = true;
            }
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (!clean) {
                    v |= BitmapCounter.NEEDED;
                }
                if (BitmapCounter.count(v) == BitmapCounter.COUNTER_MAX && counterRoom != null) {
                    wake = counterRoom;
                    counterRoom = null;
                }
                v--;
                if (v <= BitmapCounter.IDLE) {
                    counters.markPending(c);
                }
                counters.set(c, v);
            }
            writesInFlight--;
        }
        if (wake != null) {
            wake.complete(null);
        }
    }

    /**
     * Marks the range NEEDED (bits set, kept until resynced), e.g. for a region whose parity is
     * known to be wrong. Returns the batch that makes the bits durable, like startWrite.
     */
    public long markNeeded(long memberSector, long sectors) {
        long first = firstChunk(memberSector, sectors);
        long last = lastChunk(memberSector, sectors);
        synchronized (lock) {
            checkOpen();
            for (long c = first; c <= last; c++) {
                int v = counters.get(c);
                if (BitmapCounter.count(v) == 0) {
                    image.setBit(c);
                }
                if (BitmapCounter.count(v) < BitmapCounter.IDLE) {
                    v = (v & ~BitmapCounter.COUNTER_MAX) | BitmapCounter.IDLE;
                }
                counters.set(c, v | BitmapCounter.NEEDED);
            }
            return batches.join();
        }
    }

    // ---- batches -----------------------------------------------------------------------------

    /**
     * Closes the open batch: its dirty pages are written and synced on the writer executor (this
     * call does not wait for that unless the writer runs tasks in the caller), then the batch is
     * released. Nothing is written when no write joined the batch; a batch without dirty pages (its
     * bits were already durable) is released at once.
     *
     * @return completes when every write started before this call may go to members; fails if
     *         the bitmap failed (a store error) or is closed
     */
    public CompletableFuture<Void> unplug() {
        CompletableFuture<Void> result;
        List<CompletableFuture<Void>> released = List.of();
        long releasedBatch = -1;
        boolean submit = false;
        synchronized (lock) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            if (!batches.openUsed()) {
                return batches.future(batches.closed());
            }
            if (!flushRunning && !flushQueued && image.dirtyCount() == 0) {
                // Every bit of the open batch is already durable: close and release without I/O.
                releasedBatch = batches.close();
                released = batches.markWritten(releasedBatch);
                result = BatchSequence.DONE;
            } else {
                result = batches.future(batches.open());
                if (!flushQueued) {
                    flushQueued = true;
                    submit = true;
                }
            }
        }
        if (releasedBatch >= 0) {
            release(released, releasedBatch);
        }
        if (submit) {
            try {
                writer.execute(flushTask);
            } catch (RejectedExecutionException e) {
                synchronized (lock) {
                    flushQueued = false;
                }
                return CompletableFuture.failedFuture(new IOException(name + ": bitmap writer refused the batch write", e));
            }
        }
        return result;
    }

    /**
     * Completes when batch {@code batch} is durable (at once if it is). Waiters for one batch share
     * one future. Fails if the bitmap fails before.
     */
    public CompletableFuture<Void> batchWritten(long batch) {
        synchronized (lock) {
            if (batch <= batches.written()) {
                return BatchSequence.DONE;
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            return batches.future(batch);
        }
    }

    /** Whether batch {@code batch} is durable; lock-free. */
    public boolean isWritten(long batch) {
        return batch <= batches.written();
    }

    /** The last durable batch (md's seq_write); lock-free. */
    public long writtenBatch() {
        return batches.written();
    }

    /** The open batch (md's seq_flush + 1): what a startWrite now would return. */
    public long openBatch() {
        synchronized (lock) {
            return batches.open();
        }
    }

    /**
     * Called when batches are released, with the newest durable batch (md's seq_write): every batch
     * up to it may go to members. Calls come from the releasing thread (the writer executor, or an
     * unplug caller for a batch without I/O), one at a time, with increasing numbers (a number may
     * be skipped when two releases race; the later call covers both). Must not block.
     */
    public void setBatchListener(LongConsumer listener) {
        this.batchListener = listener;
    }

    /** A written batch and the futures it releases, handed out of the I/O lock. */
    private record Released(long batch, List<CompletableFuture<Void>> futures) {
    }

    private void runFlushTask() {
        Released done;
        ioLock.lock();
        try {
            done = flushBatch();
        } finally {
            unlockIo();
        }
        // released with no lock held: a waiter's continuation may call back into the bitmap
        if (done != null) {
            release(done.futures(), done.batch());
        }
    }

    /**
     * Closes the open batch and writes its dirty pages. Caller holds ioLock and releases the
     * result after unlocking; null when nothing was written (closed, failed).
     */
    private Released flushBatch() {
        long batch;
        int n;
        synchronized (lock) {
            flushQueued = false;
            if (closed || failure != null) {
                return null;
            }
            batch = batches.close();
            n = image.takeDirty(ioPages);
            flushRunning = true;
        }
        try {
            for (int i = 0; i < n; i++) {
                writePage(ioPages[i]);
            }
            if (n > 0) {
                syncStore();
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return null;
        }
        synchronized (lock) {
            flushRunning = false;
            return new Released(batch, batches.markWritten(batch));
        }
    }

    /**
     * Tells the listener first, then completes the futures (a completed future implies the listener
     * has seen that batch). Batches are released by the writer and by unplug callers (no I/O), so
     * the listener is called under its own small lock with the newest written batch, only when it
     * grew: calls never overlap and their numbers only increase (some may be skipped).
     */
    private void release(List<CompletableFuture<Void>> released, long batch) {
        LongConsumer listener = batchListener;
        if (listener != null) {
            synchronized (listenerLock) {
                long now = batches.written();
                if (now > lastNotified) {
                    lastNotified = now;
                    try {
                        listener.accept(now);
                    } catch (RuntimeException e) {
                        LOG.log(Level.SEVERE, name + ": bitmap batch listener failed", e);
                    }
                }
            }
        }
        for (CompletableFuture<Void> f : released) {
            f.complete(null);
        }
    }

    /** Copies the page (header encoded into page 0) and writes it. Caller holds ioLock. */
    /**
     * Writes every page of the current bitmap image to the store and syncs it: a member that just
     * joined the store (a spare) gets a whole copy. Bits set in memory but not yet durable are
     * written early, which is always safe. Blocks.
     */
    public void rewriteAll() throws IOException {
        ioLock.lock();
        try {
            synchronized (lock) {
                checkOpen();
                if (failure != null) {
                    throw failure;
                }
            }
            try {
                for (int p = 0; p < image.pages(); p++) {
                    writePage(p);
                }
                syncStore();
            } catch (IOException | RuntimeException e) {
                fail(e);
                throw e;
            }
        } finally {
            unlockIo();
        }
    }

    /** Syncs the store and counts it. Caller holds ioLock. */
    private void syncStore() throws IOException {
        store.sync();
        storeSyncs.increment();
    }

    /** Bitmap pages written to the store so far (each page of a batch once, plus header updates). */
    public long pageWrites() {
        return pageWrites.sum();
    }

    /** Store syncs so far: each makes a batch (or a header change) durable. */
    public long storeSyncs() {
        return storeSyncs.sum();
    }

    private void writePage(int page) throws IOException {
        synchronized (lock) {
            image.copyPage(page, header, ioBuffer);
        }
        store.writePage(page, ioBuffer);
        pageWrites.increment();
    }

    /**
     * Records the first store failure and takes every waiter; they are failed by
     * {@link #unlockIo()}, outside the I/O lock. Caller holds ioLock.
     */
    private void fail(Throwable e) {
        IOException cause = e instanceof IOException ? (IOException) e
                : new IOException(name + ": bitmap write failed: " + e, e);
        synchronized (lock) {
            if (failure == null) {
                failure = cause;
                header.setState(header.getState() | BitmapSuperblock.STATE_WRITE_ERROR);
            }
            flushRunning = false;
            batches.drainAll(failedWaiters);
        }
        LOG.log(Level.SEVERE, name + ": bitmap write failed; no further bitmap writes", e);
    }

    /** Unlocks ioLock, then fails the waiters {@link #fail} took (continuations may call back in). */
    private void unlockIo() {
        ioLock.unlock();
        if (ioLock.isHeldByCurrentThread()) {
            return; // still inside an outer I/O section; it fails them on its way out
        }
        List<CompletableFuture<Void>> waiting;
        IOException cause;
        synchronized (lock) {
            if (failedWaiters.isEmpty()) {
                return;
            }
            waiting = new ArrayList<>(failedWaiters);
            failedWaiters.clear();
            cause = failure;
        }
        for (CompletableFuture<Void> f : waiting) {
            f.completeExceptionally(cause);
        }
    }

    // ---- daemon ------------------------------------------------------------------------------

    /**
     * One pass of md's bitmap daemon, if at least daemon_sleep passed since the last one (by the
     * clock given at open): writes the header if events_cleared moved on, then steps every idle
     * counter 2 -> 1 and 1 -> 0, clearing the bit at 0 and writing the pages whose bits it cleared.
     * Nothing is cleared while the array is degraded. Blocks for its writes. Store errors fail the
     * bitmap (see {@link #failure()}); this method does not throw them.
     *
     * @return whether the pass ran
     */
    public boolean daemonPass() {
        return daemonPass(false);
    }

    private boolean daemonPass(boolean force) {
        ioLock.lock();
        try {
            long now = clock.getAsLong();
            if (!force && now - daemonLastRun < daemonSleepNanos) {
                return false;
            }
            daemonLastRun = now;
            boolean writeHeader;
            synchronized (lock) {
                if (closed || failure != null) {
                    return true;
                }
                writeHeader = needSync;
                needSync = false;
            }
            if (writeHeader) {
                // events_cleared must be durable before any bit cleared under it.
                writePage(0);
                syncStore();
            }
            int n;
            synchronized (lock) {
                if (!degraded) {
                    stepIdleCounters();
                }
                n = image.takeCleared(ioPages);
            }
            for (int i = 0; i < n; i++) {
                writePage(ioPages[i]);
            }
            if (n > 0) {
                syncStore();
            }
            return true;
        } catch (IOException | RuntimeException e) {
            fail(e);
            return true;
        } finally {
            unlockIo();
        }
    }

    /** Caller holds lock. */
    private void stepIdleCounters() {
        for (int g = 0; g < counters.groups(); g++) {
            if (!counters.takePending(g)) {
                continue;
            }
            long end = Math.min(chunkCount, (long) (g + 1) << ChunkCounters.GROUP_SHIFT);
            for (long c = (long) g << ChunkCounters.GROUP_SHIFT; c < end; c++) {
                int v = counters.get(c);
                if (v == BitmapCounter.CLEAR_NEXT && !needSync) {
                    counters.set(c, 0);
                    image.clearBit(c);
                } else if (v == BitmapCounter.CLEAR_NEXT || v == BitmapCounter.IDLE) {
                    counters.set(c, BitmapCounter.CLEAR_NEXT);
                    counters.markPending(c);
                }
            }
        }
    }

    /**
     * Clears every bit that may be cleared now, ignoring daemon_sleep (md_bitmap_flush: three daemon
     * passes), for a clean stop once all writes ended. Blocks.
     *
     * @return the number of bits still set (NEEDED chunks, writes in flight, or a degraded array)
     * @throws IOException if the bitmap failed
     */
    public long clearIdleBits() throws IOException {
        for (int i = 0; i < CLEARING_PASSES; i++) {
            daemonPass(true);
        }
        synchronized (lock) {
            if (failure != null) {
                throw failure;
            }
            return image.countSet();
        }
    }

    /** daemon_sleep from the header, in seconds. */
    public int daemonSleepSeconds() {
        return header.getDaemonSleep();
    }

    // ---- array state -------------------------------------------------------------------------

    /** While degraded, the daemon clears nothing and every ending write leaves its chunk NEEDED. */
    public void setDegraded(boolean degraded) {
        synchronized (lock) {
            this.degraded = degraded;
        }
    }

    public boolean isDegraded() {
        synchronized (lock) {
            return degraded;
        }
    }

    /**
     * Records the array's new events count in the header (events_cleared follows if it was ahead,
     * STALE is dropped: the bits were rewritten at open) and writes the header durably. Call it
     * before writing the superblocks with that count, as md_update_sb updates the bitmap first.
     */
    public void setEvents(long events) throws IOException {
        ioLock.lock();
        try {
            synchronized (lock) {
                checkOpen();
                if (failure != null) {
                    throw failure;
                }
                arrayEvents = events;
                header.setEvents(events);
                if (Long.compareUnsigned(events, header.getEventsCleared()) < 0) {
                    header.setEventsCleared(events);
                }
                header.setState(header.getState() & ~(BitmapSuperblock.STATE_STALE | BitmapSuperblock.STATE_WRITE_ERROR));
            }
            try {
                writePage(0);
                syncStore();
            } catch (IOException | RuntimeException e) {
                fail(e);
                throw e;
            }
        } finally {
            unlockIo();
        }
    }

    // ---- resync ------------------------------------------------------------------------------

    /**
     * md's bitmap_start_sync for one chunk: whether the chunk must be resynced (NEEDED or already
     * RESYNC). Unless {@code degraded}, a NEEDED chunk becomes RESYNC (NEEDED cleared).
     */
    public boolean startSync(long chunk, boolean degraded) {
        checkChunk(chunk);
        synchronized (lock) {
            int v = counters.get(chunk);
            if (BitmapCounter.isResync(v)) {
                return true;
            }
            if (BitmapCounter.isNeeded(v)) {
                if (!degraded) {
                    counters.set(chunk, (v | BitmapCounter.RESYNC) & ~BitmapCounter.NEEDED);
                }
                return true;
            }
            return false;
        }
    }

    /**
     * md's bitmap_end_sync: a RESYNC chunk drops RESYNC; if the sync was aborted it is NEEDED
     * again, else with no writes in flight it becomes clearable by the daemon.
     */
    public void endSync(long chunk, boolean aborted) {
        checkChunk(chunk);
        synchronized (lock) {
            int v = counters.get(chunk);
            if (!BitmapCounter.isResync(v)) {
                return;
            }
            v &= ~BitmapCounter.RESYNC;
            if (!BitmapCounter.isNeeded(v) && aborted) {
                v |= BitmapCounter.NEEDED;
            } else if (v <= BitmapCounter.IDLE) {
                counters.markPending(chunk);
            }
            counters.set(chunk, v);
        }
    }

    /** The first chunk at or after {@code fromChunk} that is NEEDED or RESYNC, or -1. */
    public long nextSyncChunk(long fromChunk) {
        synchronized (lock) {
            return counters.nextFlagged(fromChunk);
        }
    }

    /** Chunks that are NEEDED or RESYNC. */
    public long syncChunkCount() {
        long n = 0;
        synchronized (lock) {
            for (long c = counters.nextFlagged(0); c >= 0; c = counters.nextFlagged(c + 1)) {
                n++;
            }
        }
        return n;
    }

    // ---- geometry and inspection -------------------------------------------------------------

    public long chunkCount() {
        return chunkCount;
    }

    /** Member sectors per bitmap chunk. */
    public long chunkSectors() {
        return 1L << chunkShift;
    }

    /** The chunk covering member sector {@code memberSector} (counted from the data offset). */
    public long chunkOf(long memberSector) {
        return memberSector >>> chunkShift;
    }

    /** The chunk's counter ({@link BitmapCounter} encoding). */
    public int counter(long chunk) {
        checkChunk(chunk);
        synchronized (lock) {
            return counters.get(chunk);
        }
    }

    /** Whether the chunk's bit is set in memory (durable once its batch is written). */
    public boolean isBitSet(long chunk) {
        checkChunk(chunk);
        synchronized (lock) {
            return image.isSet(chunk);
        }
    }

    /** Bits set in memory. */
    public long setBitCount() {
        synchronized (lock) {
            return image.countSet();
        }
    }

    /** startWrite calls not yet ended; zero when the engine is balanced and idle. */
    public long writesInFlight() {
        synchronized (lock) {
            return writesInFlight;
        }
    }

    /** A copy of the header as it will next be written. */
    public BitmapSuperblock header() {
        synchronized (lock) {
            return header.copy();
        }
    }

    /** {@code mdadm -X} style report of the in-memory state. */
    public String report(String filename) {
        synchronized (lock) {
            return BitmapReport.format(filename, header, image.bitsView());
        }
    }

    /** Whether the bitmap was stale when opened (all bits set then). */
    public boolean wasStaleOnOpen() {
        return staleOnOpen;
    }

    /** Warnings from open, md's wording (e.g. "bitmap file is out of date"). */
    public List<String> openMessages() {
        return openMessages;
    }

    /** The store error that stopped the bitmap, or null. */
    public IOException failure() {
        synchronized (lock) {
            return failure;
        }
    }

    public String describe() {
        return name;
    }

    /**
     * Writes what is dirty, closes the store and fails anyone still waiting for a batch.
     *
     * @throws IllegalStateException after closing, if writes are still in flight (unbalanced)
     */
    @Override
    public void close() throws IOException {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        long inFlight;
        IOException failed;
        Released released = null;
        ioLock.lock();
        try {
            synchronized (lock) {
                if (closed) {
                    return;
                }
            }
            Released last = flushBatch();
            if (last != null) {
                released = last;
            }
            synchronized (lock) {
                closed = true;
                inFlight = writesInFlight;
                failed = failure;
                batches.drainAll(waiting);
            }
            store.close();
        } finally {
            unlockIo();
        }
        if (released != null) {
            release(released.futures(), released.batch());
        }
        IOException done = closedException();
        for (CompletableFuture<Void> f : waiting) {
            f.completeExceptionally(done);
        }
        if (failed != null) {
            throw new IOException(name + ": bitmap closed after a write failure: " + failed.getMessage(), failed);
        }
        if (inFlight != 0) {
            throw new IllegalStateException(name + ": bitmap closed with " + inFlight
                    + " writes in flight (startWrite without endWrite)");
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private long firstChunk(long memberSector, long sectors) {
        if (memberSector < 0 || sectors <= 0 || ((memberSector + sectors - 1) >>> chunkShift) >= chunkCount) {
            throw new IllegalArgumentException(name + ": member sectors " + memberSector + "+" + sectors
                    + " outside the bitmap's " + chunkCount + " chunks of " + (1L << chunkShift) + " sectors");
        }
        return memberSector >>> chunkShift;
    }

    private long lastChunk(long memberSector, long sectors) {
        return (memberSector + sectors - 1) >>> chunkShift;
    }

    private void checkChunk(long chunk) {
        if (chunk < 0 || chunk >= chunkCount) {
            throw new IllegalArgumentException(name + ": chunk " + chunk + " outside 0.." + (chunkCount - 1));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(closedException().getMessage());
        }
    }

    private IOException closedException() {
        return new IOException(name + ": bitmap is closed");
    }

    private static String hex(byte[] uuid) {
        StringBuilder s = new StringBuilder(35);
        for (int i = 0; i < uuid.length; i++) {
            if (i > 0 && i % 4 == 0) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", uuid[i] & 0xff));
        }
        return s.toString();
    }
}
