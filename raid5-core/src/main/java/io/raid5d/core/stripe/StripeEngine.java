package io.raid5d.core.stripe;

import io.micrometer.core.instrument.MeterRegistry;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.intent.WriteIntent;
import io.raid5d.core.member.FileRange;
import java.util.List;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The md/raid5-style stripe cache engine: writes attach to stripe heads (one page per member
 * for a page-wide column of a chunk row), heads wait on lists that say why (handle, delayed,
 * bitmap, inactive), workers run each head's state machine (reconstruct-write or
 * read-modify-write by counting reads, full-stripe batches), member I/O runs on its own
 * executor. See docs/design.md, "The stripe cache engine".
 *
 * <p>This class is the engine's public face and wires its parts, one job each:
 * {@link StripeCache} (heads, lists, the lock), {@link RequestAdmission} (attach or wait),
 * {@link UnplugPolicy} (when parked heads go back to work), {@link StripeWorkers} (the stripe
 * threads), {@link WritePlanner}, {@link WritePass}, {@link FullStripeBatch}, {@link PreReads},
 * {@link SyncPass}, {@link PassCompletion} (the passes), {@link ReadPath} (reads),
 * {@link RequestCompletion} (futures), {@link MemberFaults} (member failures).
 *
 * <p>Lock: one lock, {@link StripeCache#locked()} (md's {@code device_lock}), guards the table,
 * every list, the wait queue, the head state and the pending-piece queues. It is held only for
 * bookkeeping and for copying cache hits out of pages; never across member I/O, parity
 * computation, bitmap calls, or future completion. Callers' threads (Netty event loops) only
 * take it briefly and never wait for a free head: a request that finds none is queued.
 */
public final class StripeEngine implements AutoCloseable {
    /** Engine tuning. {@code unplugDelayMicros <= 0} disables the unplug timer (tests). */
    public record Config(int stripeCacheSize, int workerThreads, int ioThreads, long unplugDelayMicros,
                         int maxBatchStripes) {
        public Config {
            checkCacheSize(stripeCacheSize);
            if (workerThreads < 1 || ioThreads < 1 || maxBatchStripes < 1) {
                throw new IllegalArgumentException("workers, I/O threads and batch size must be at least 1");
            }
        }
    }

    public static final int MIN_CACHE = 17; // md's minimum stripe_cache_size
    public static final int MAX_CACHE = 32768; // md's maximum
    static final int PAGE = 4096;
    static final int PAGE_SECTORS = PAGE / 512;
    static final int FULL_MASK = (1 << PAGE_SECTORS) - 1; // every sector of a page covered

    private final MemberSet members;
    private final MemberIo io;
    private final StripeCache cache;
    private final StripeMetrics metrics;
    private final MemberFaults faults;
    private final RequestCompletion completion;
    private final UnplugPolicy unplug;
    private final WriteIntentGate gate;
    private final RequestAdmission admission;
    private final WritePlanner writes;
    private final ReadPath reads;
    private final ZeroCopyReads zeroCopy;
    private final StripeWorkers workers;
    private volatile long lastClientRequestNanos = System.nanoTime() - 1_000_000_000L; // throttles background sweeps

    public StripeEngine(String name, MemberSet members, WriteIntent log, Config config, MeterRegistry registry) {
        this(name, members, log, config, registry, new Object());
    }

    /**
     * An engine that records member failures under {@code failureLock}, the lock of another
     * engine over the same devices (the old and new geometry of a growing array): a pass of
     * either that skipped a member failed by the other waits for the failure to be recorded.
     */
    public StripeEngine(String name, MemberSet members, WriteIntent log, Config config, MeterRegistry registry,
                        Object failureLock) {
        this.members = members;
        int raidDisks = members.geometry().raidDisks();
        if (raidDisks > 64) {
            throw new IllegalArgumentException("the engine handles at most 64 members, not " + raidDisks);
        }
        this.io = new MemberIo(name, config.ioThreads());
        this.cache = new StripeCache(members.geometry(), config.stripeCacheSize());
        this.metrics = new StripeMetrics(registry, name, cache);
        this.faults = new MemberFaults(name, members, failureLock);
        this.completion = new RequestCompletion(cache, io, members, faults);
        this.unplug = new UnplugPolicy(name, cache, log, config.unplugDelayMicros());
        this.admission = new RequestAdmission(name, cache, completion, unplug, metrics);
        cache.connect(admission, completion);
        BatchBufferPool batchBuffers = new BatchBufferPool(config.maxBatchStripes(), config.workerThreads() * 2);
        this.gate = new WriteIntentGate(log, unplug);
        PassCompletion passEnd = new PassCompletion(cache, completion, faults, gate, members, batchBuffers);
        MemberQueues queues = new MemberQueues(io, members, metrics, MemberQueues.QUEUE_DEPTH);
        WritePass pass = new WritePass(cache, queues, members, metrics, passEnd);
        FullStripeBatch batch = new FullStripeBatch(cache, queues, members, metrics, gate, unplug, pass, passEnd, faults,
                batchBuffers, config.maxBatchStripes());
        PreReads preReads = new PreReads(cache, queues, members, faults, completion, passEnd);
        this.writes = new WritePlanner(cache, members, gate, metrics, faults, unplug, preReads, pass, batch, passEnd);
        SyncPass syncs = new SyncPass(cache, queues, members, metrics, faults, preReads, passEnd, completion);
        this.reads = new ReadPath(cache, io, queues, members, metrics, admission);
        this.zeroCopy = new ZeroCopyReads(members, metrics);
        log.onBatchWritten(unplug::batchWritten);
        this.workers = new StripeWorkers(name, config.workerThreads(), cache, unplug, log, gate, writes, syncs, queues);
        workers.start();
    }

    static void checkCacheSize(int size) {
        if (size < MIN_CACHE || size > MAX_CACHE) {
            throw new IllegalArgumentException("stripe cache size must be " + MIN_CACHE + ".." + MAX_CACHE + ", got " + size);
        }
    }

    /** Write passes whose intent began and has not ended (startWrite without endWrite yet); 0 when idle. */
    public long openWritePasses() {
        return gate.openPasses();
    }

    public StripeMetrics metrics() {
        return metrics;
    }

    /** The lock member failures are recorded under (see the constructor taking one). */
    public Object failureLock() {
        return faults.failureLock();
    }

    /** Takes this engine's meters out of the registry (another engine of the array registers them next). */
    public void detachMeters() {
        metrics.close();
    }

    /**
     * Waits until every write, trim and sync handed to the engine so far has completed (reads
     * are not counted). For a grow's start, while no new request reaches the engine.
     */
    public void awaitWritesDone() throws InterruptedException {
        while (completion.openRequests() > 0) {
            unplug.requestUnplug(true); // delayed heads go now, not at the unplug timer
            Thread.sleep(1);
        }
    }

    /** Heads per chunk row (a row is {@code chunk / 4 KiB} stripe heads wide). */
    public int stripesPerRow() {
        return cache.columnsPerChunk;
    }

    public int stripeCacheSize() {
        return cache.cacheSize;
    }

    /** Who hears of member errors (the array records them in the superblocks). Set before any I/O. */
    public void setMemberFailures(MemberFailures failures) {
        faults.setMemberFailures(failures);
    }

    /**
     * Member {@code role} is faulty from now on (md's fail; also called for I/O errors): the engine
     * stops using it and, before this returns, the failure is recorded through {@link MemberFailures}.
     * Any thread that may block.
     */
    public void failMember(int role, Throwable cause) {
        faults.failMember(role, cause);
    }

    // ------------------------------------------------------------------ public operations

    /** Reads array bytes into {@code dst} (position to limit); cached pages are copied, the rest read from members. */
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        if (members.failed()) {
            return CompletableFuture.failedFuture(faults.arrayFailed());
        }
        lastClientRequestNanos = System.nanoTime();
        return reads.read(offset, dst);
    }

    /**
     * The array bytes {@code [offset, offset+length)} as member file ranges to send as they are,
     * or null when they must be read with {@link #read} (see {@link ZeroCopyReads}). On any
     * thread, without blocking.
     */
    public List<FileRange> fileRanges(long offset, int length) {
        if (members.failed()) {
            return null;
        }
        List<FileRange> ranges = zeroCopy.ranges(offset, length);
        if (ranges != null) {
            lastClientRequestNanos = System.nanoTime();
        }
        return ranges;
    }

    /**
     * Reads {@code dst}'s remaining bytes at {@code offset} on the calling thread if they are all
     * in the page cache of healthy, buffered members (see {@link ZeroCopyReads#readNow}); false
     * to read with {@link #read}. Never waits on a disk.
     */
    public boolean readNow(long offset, ByteBuffer dst) {
        if (members.failed() || !zeroCopy.readNow(offset, dst)) {
            return false;
        }
        lastClientRequestNanos = System.nanoTime();
        return true;
    }

    /**
     * Writes the remaining bytes of {@code srcs}, in order, as one request at {@code offset}
     * ({@code srcs == null}: {@code length} zeros) through the stripe cache.
     */
    public CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, int length, boolean fua) {
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (members.failed()) {
            return CompletableFuture.failedFuture(faults.arrayFailed());
        }
        lastClientRequestNanos = System.nanoTime();
        WriteRequest r = new WriteRequest(offset, srcs, length, fua);
        admission.submit(r);
        if (fua) {
            unplug.requestUnplug(true);
        }
        return r.future;
    }

    /**
     * A background sweep's read (a grow's copy): as {@link #read}, but not counted as client I/O,
     * so {@link #hasClientRequests} still tells whether clients are busy.
     */
    public CompletableFuture<Void> sweepRead(long offset, ByteBuffer dst) {
        if (members.failed()) {
            return CompletableFuture.failedFuture(faults.arrayFailed());
        }
        return reads.read(offset, dst);
    }

    /**
     * A grow's copy writes member rows whose per-device sectors are [{@code fromSector},
     * {@code toSector}) next, and nothing else writes there: their passes set no write-intent bit
     * (md's reshape sets none; a crash repeats the copy of rows past the recorded position).
     */
    public Object copyWritesBetween(long fromSector, long toSector) {
        return gate.skipIntent(fromSector, toSector);
    }

    /** The copy's writes begun by {@link #copyWritesBetween} have ended: bits are set there again. */
    public void copyWritesDone(Object token) {
        gate.endSkip(token);
    }

    /** A background sweep's write (a grow's copy): as {@link #write}, not counted as client I/O. */
    public CompletableFuture<Void> sweepWrite(long offset, ByteBuffer src) {
        int length = src.remaining();
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (members.failed()) {
            return CompletableFuture.failedFuture(faults.arrayFailed());
        }
        WriteRequest r = new WriteRequest(offset, new ByteBuffer[] {src}, length, false);
        admission.submit(r);
        return r.future;
    }

    /** Completes when every write completed before the call is durable on every member. */
    public CompletableFuture<Void> flush() {
        unplug.requestUnplug(true);
        CompletableFuture<Void> f = new CompletableFuture<>();
        completion.syncMembers(f);
        return f;
    }

    /**
     * Checks stripe head {@code stripe}'s parity through the cache, ordered with writes to it;
     * with {@code repair} rewrites parity that does not match. Completes with mismatched sectors
     * (md's mismatch_cnt units: 8 per differing 4 KiB page).
     */
    public CompletableFuture<Long> sync(long stripe, boolean repair) {
        SyncRequest s = new SyncRequest(stripe, repair);
        admission.submit(s);
        return s.future;
    }

    /**
     * Rebuilds stripe head {@code stripe} onto the spare in the lost role: reads the other
     * members, reconstructs the page, writes it to the spare. Ordered with writes to the stripe.
     * Completes with the sectors written (0 if there is no spare to write).
     */
    public CompletableFuture<Long> rebuild(long stripe) {
        SyncRequest s = SyncRequest.rebuild(stripe);
        admission.submit(s);
        return s.future;
    }

    /** Client requests (reads are not counted) are open or waiting: background sweeps slow down to their minimum speed. */
    public boolean hasClientRequests() {
        return System.nanoTime() - lastClientRequestNanos < 100_000_000L; // a request in the last 100 ms
    }

    /** Member sectors from the start known in sync; stripes beyond use reconstruct-write only (as md). */
    public void setSyncedBelow(long memberSector) {
        writes.setSyncedBelow(memberSector);
    }

    /**
     * End of a burst: close the bitmap batch and release the delayed stripes that were already
     * parked at the previous unplug (a stripe gets one more burst to be filled by the next
     * request before it pre-reads: requests that arrive over TCP end one burst each). Never blocks.
     */
    public void unplug() {
        unplug.unplug();
    }

    /** Changes the number of stripe heads at run time (md's stripe_cache_size); busy heads are freed as they finish. */
    public void setStripeCacheSize(int size) {
        admission.setStripeCacheSize(size);
    }

    /** Finishes every queued request, stops the threads. Members stay open (the array owns them). */
    @Override
    public void close() {
        try (StripeCache.Locked locked = cache.locked()) {
            cache.draining = true;
            cache.activateDelayed();
        }
        boolean interrupted = false;
        try (StripeCache.Locked locked = cache.locked()) {
            while (completion.openRequests() > 0) {
                unplug.forceLocked();
                cache.work.signalAll();
                try {
                    completion.drained.await(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            cache.stopping = true;
            cache.work.signalAll();
        }
        interrupted |= workers.join();
        unplug.shutdown();
        io.shutdownAndDrain();
        metrics.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
