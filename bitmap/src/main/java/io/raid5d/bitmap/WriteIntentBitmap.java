package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

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
 * <p><b>Threads and locks.</b> Two locks, always taken in this order: the I/O lock of
 * {@link PageWriter} (a ReentrantLock serialising every store call: batch writes, daemon writes,
 * header writes, close), then the state monitor, the {@link BitmapState} object (counters,
 * in-memory image, batch numbers, header fields; held briefly, never across I/O). startWrite/endWrite/unplug/startSync/endSync
 * take only the state lock and never block on I/O; unplug hands the write to the writer executor.
 * Futures are completed and the listener called on the thread that finished the batch, with no lock held.
 *
 * <p><b>Parts.</b> This class is the API; the work is done by {@link WriteCounting} (startWrite /
 * endWrite), {@link BatchWriter} (batches), {@link IdleBitClearer} (daemon passes),
 * {@link ResyncFlags} (start/end sync), {@link BitmapLoader} (open) and {@link PageWriter} (all
 * store I/O), sharing one {@link BitmapState}.
 */
public final class WriteIntentBitmap implements Closeable {
    /** {@link #startWrite} result: a chunk's counter is at COUNTER_MAX; nothing was counted. */
    public static final long MUST_WAIT = -1;

    // ---- immutable after open; the parts own their own fields (see each class)
    private final BitmapState state;
    private final PageWriter io;
    private final WriteCounting writes;
    private final BatchWriter batches;
    private final IdleBitClearer clearer;
    private final ResyncFlags resync;
    private final boolean staleOnOpen;
    private final List<String> openMessages;

    private WriteIntentBitmap(BitmapStore store, BitmapLoader.StoredBitmap stored, BitmapOpenOptions o) {
        this.state = new BitmapState(store.describe(), stored.header(), stored.area(), o.arrayEvents(), o.degraded());
        this.io = new PageWriter(store, state);
        this.writes = new WriteCounting(state);
        this.batches = new BatchWriter(state, io, o.writer());
        this.clearer = new IdleBitClearer(state, io, o.nanoClock(), stored.header().getDaemonSleep() * 1_000_000_000L);
        this.resync = new ResyncFlags(state);
        this.staleOnOpen = stored.stale();
        this.openMessages = stored.messages();
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
        BitmapLoader.StoredBitmap stored = BitmapLoader.read(store, options);
        WriteIntentBitmap bitmap = new WriteIntentBitmap(store, stored, options);
        BitmapLoader.loadCounters(bitmap.state, bitmap.io, options, stored.stale());
        return bitmap;
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
        return writes.startWrite(memberSector, sectors);
    }

    /**
     * Completes when a write of this range can be counted (no chunk at COUNTER_MAX): at once if it
     * can now, else on the next endWrite that takes a full counter down.
     */
    public CompletableFuture<Void> whenStartable(long memberSector, long sectors) {
        return writes.whenStartable(memberSector, sectors);
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
        writes.endWrite(memberSector, sectors, success, degradedWrite);
    }

    /**
     * Marks the range NEEDED (bits set, kept until resynced), e.g. for a region whose parity is
     * known to be wrong. Returns the batch that makes the bits durable, like startWrite.
     */
    public long markNeeded(long memberSector, long sectors) {
        return writes.markNeeded(memberSector, sectors);
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
        return batches.unplug();
    }

    /**
     * Completes when batch {@code batch} is durable (at once if it is). Waiters for one batch share
     * one future. Fails if the bitmap fails before.
     */
    public CompletableFuture<Void> batchWritten(long batch) {
        return batches.batchWritten(batch);
    }

    /** Whether batch {@code batch} is durable; lock-free. */
    public boolean isWritten(long batch) {
        return batch <= state.batches.written();
    }

    /** The last durable batch (md's seq_write); lock-free. */
    public long writtenBatch() {
        return state.batches.written();
    }

    /** The open batch (md's seq_flush + 1): what a startWrite now would return. */
    public long openBatch() {
        synchronized (state) {
            return state.batches.open();
        }
    }

    /**
     * Called when batches are released, with the newest durable batch (md's seq_write): every batch
     * up to it may go to members. Calls come from the releasing thread (the writer executor, or an
     * unplug caller for a batch without I/O), one at a time, with increasing numbers (a number may
     * be skipped when two releases race; the later call covers both). Must not block.
     */
    public void setBatchListener(LongConsumer listener) {
        batches.setListener(listener);
    }

    /**
     * Writes every page of the current bitmap image to the store and syncs it: a member that just
     * joined the store (a spare) gets a whole copy. Bits set in memory but not yet durable are
     * written early, which is always safe. Blocks.
     */
    public void rewriteAll() throws IOException {
        io.lock();
        try {
            synchronized (state) {
                state.checkOpen();
                if (state.failure != null) {
                    throw state.failure;
                }
            }
            try {
                io.writeAll();
            } catch (IOException | RuntimeException e) {
                io.fail(e);
                throw e;
            }
        } finally {
            io.unlock();
        }
    }

    /** Bitmap pages written to the store so far (each page of a batch once, plus header updates). */
    public long pageWrites() {
        return io.pageWrites();
    }

    /** Store syncs so far: each makes a batch (or a header change) durable. */
    public long storeSyncs() {
        return io.storeSyncs();
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
        return clearer.pass(false);
    }

    /**
     * Clears every bit that may be cleared now, ignoring daemon_sleep (md_bitmap_flush: three daemon
     * passes), for a clean stop once all writes ended. Blocks.
     *
     * @return the number of bits still set (NEEDED chunks, writes in flight, or a degraded array)
     * @throws IOException if the bitmap failed
     */
    public long clearIdleBits() throws IOException {
        return clearer.clearAll();
    }

    /** daemon_sleep from the header, in seconds. */
    public int daemonSleepSeconds() {
        return state.header.getDaemonSleep();
    }

    // ---- array state -------------------------------------------------------------------------

    /** While degraded, the daemon clears nothing and every ending write leaves its chunk NEEDED. */
    public void setDegraded(boolean degraded) {
        synchronized (state) {
            state.degraded = degraded;
        }
    }

    public boolean isDegraded() {
        synchronized (state) {
            return state.degraded;
        }
    }

    /**
     * Records the array's new events count in the header (events_cleared follows if it was ahead,
     * STALE is dropped: the bits were rewritten at open) and writes the header durably. Call it
     * before writing the superblocks with that count, as md_update_sb updates the bitmap first.
     */
    public void setEvents(long events) throws IOException {
        io.lock();
        try {
            synchronized (state) {
                state.checkOpen();
                if (state.failure != null) {
                    throw state.failure;
                }
                BitmapSuperblock header = state.header;
                state.arrayEvents = events;
                header.setEvents(events);
                if (Long.compareUnsigned(events, header.getEventsCleared()) < 0) {
                    header.setEventsCleared(events);
                }
                header.setState(header.getState() & ~(BitmapSuperblock.STATE_STALE | BitmapSuperblock.STATE_WRITE_ERROR));
            }
            try {
                io.writeHeader();
            } catch (IOException | RuntimeException e) {
                io.fail(e);
                throw e;
            }
        } finally {
            io.unlock();
        }
    }

    // ---- resync ------------------------------------------------------------------------------

    /**
     * md's bitmap_start_sync for one chunk: whether the chunk must be resynced (NEEDED or already
     * RESYNC). Unless {@code degraded}, a NEEDED chunk becomes RESYNC (NEEDED cleared).
     */
    public boolean startSync(long chunk, boolean degraded) {
        return resync.startSync(chunk, degraded);
    }

    /**
     * md's bitmap_end_sync: a RESYNC chunk drops RESYNC; if the sync was aborted it is NEEDED
     * again, else with no writes in flight it becomes clearable by the daemon.
     */
    public void endSync(long chunk, boolean aborted) {
        resync.endSync(chunk, aborted);
    }

    /** The first chunk at or after {@code fromChunk} that is NEEDED or RESYNC, or -1. */
    public long nextSyncChunk(long fromChunk) {
        return resync.nextSyncChunk(fromChunk);
    }

    /** Chunks that are NEEDED or RESYNC. */
    public long syncChunkCount() {
        return resync.syncChunkCount();
    }

    // ---- geometry and inspection -------------------------------------------------------------

    public long chunkCount() {
        return state.chunkCount;
    }

    /** Member sectors per bitmap chunk. */
    public long chunkSectors() {
        return 1L << state.chunkShift;
    }

    /** The chunk covering member sector {@code memberSector} (counted from the data offset). */
    public long chunkOf(long memberSector) {
        return memberSector >>> state.chunkShift;
    }

    /** The chunk's counter ({@link BitmapCounter} encoding). */
    public int counter(long chunk) {
        state.checkChunk(chunk);
        synchronized (state) {
            return state.counters.get(chunk);
        }
    }

    /** Whether the chunk's bit is set in memory (durable once its batch is written). */
    public boolean isBitSet(long chunk) {
        state.checkChunk(chunk);
        synchronized (state) {
            return state.image.isSet(chunk);
        }
    }

    /** Bits set in memory. */
    public long setBitCount() {
        synchronized (state) {
            return state.image.countSet();
        }
    }

    /** startWrite calls not yet ended; zero when the engine is balanced and idle. */
    public long writesInFlight() {
        synchronized (state) {
            return state.writesInFlight;
        }
    }

    /** A copy of the header as it will next be written. */
    public BitmapSuperblock header() {
        synchronized (state) {
            return state.header.copy();
        }
    }

    /** {@code mdadm -X} style report of the in-memory state. */
    public String report(String filename) {
        synchronized (state) {
            return BitmapReport.format(filename, state.header, state.image.bitsView());
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
        synchronized (state) {
            return state.failure;
        }
    }

    public String describe() {
        return state.name;
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
        BatchWriter.Released released;
        io.lock();
        try {
            synchronized (state) {
                if (state.closed) {
                    return;
                }
            }
            released = batches.flushBatch();
            synchronized (state) {
                state.closed = true;
                inFlight = state.writesInFlight;
                failed = state.failure;
                state.batches.drainAll(waiting);
            }
            io.closeStore();
        } finally {
            io.unlock();
        }
        if (released != null) {
            batches.release(released);
        }
        IOException done = state.closedException();
        for (CompletableFuture<Void> f : waiting) {
            f.completeExceptionally(done);
        }
        if (failed != null) {
            throw new IOException(state.name + ": bitmap closed after a write failure: " + failed.getMessage(), failed);
        }
        if (inFlight != 0) {
            throw new IllegalStateException(state.name + ": bitmap closed with " + inFlight
                    + " writes in flight (startWrite without endWrite)");
        }
    }
}
