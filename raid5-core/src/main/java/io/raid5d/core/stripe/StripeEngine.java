package io.raid5d.core.stripe;

import io.micrometer.core.instrument.MeterRegistry;
import io.raid5d.core.array.MemberSet;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The md/raid5-style stripe cache engine: writes attach to stripe heads (one page per member
 * for a page-wide column of a chunk row), heads wait on lists that say why (handle, delayed,
 * bitmap, inactive), workers run each head's state machine (reconstruct-write or
 * read-modify-write by counting reads, full-stripe batches), member I/O runs on its own
 * executor. See docs/design.md, "The stripe cache engine".
 *
 * <p>Lock: {@link #lock} (md's {@code device_lock}) guards the table, every list, the wait
 * queue, the head state and the pending-piece queues. It is held only for bookkeeping and for
 * copying cache hits out of pages; never across member I/O, parity computation, bitmap calls,
 * or future completion. Callers' threads (Netty event loops) only take it briefly and never
 * wait for a free head: a request that finds none is queued.
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
    private static final int FULL_MASK = (1 << PAGE_SECTORS) - 1;
    private static final int MAX_WAITING = 65536;

    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final int chunkBytes;
    private final int dataDisks;
    private final int raidDisks;
    private final int columnsPerChunk;
    private final WriteIntentLog log;
    private final MemberIo io;
    private final StripeMetrics metrics;
    private final ByteBuffer zeroPage = ByteBuffer.allocateDirect(PAGE).asReadOnlyBuffer();
    private final int maxBatch;
    private final long unplugDelayMicros;
    private final ThreadLocal<ByteBuffer> syncScratch = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PAGE));

    final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition(); // workers: handle list or unplug
    private final Condition drainedCond = lock.newCondition(); // close(): no open requests
    // --- guarded by lock ---
    private final StripeTable table;
    private final StripeList inactive = new StripeList("inactive");
    private final StripeList handle = new StripeList("handle");
    private final StripeList delayed = new StripeList("delayed");
    private final StripeList bitmap = new StripeList("bitmap");
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> batchBuffers = new ArrayDeque<>();
    private final ArrayList<WriteRequest> deferred = new ArrayList<>(); // finish after unlock
    private int totalHeads;
    private int targetHeads;
    private boolean draining;
    private boolean stopping;
    private boolean timerArmed;
    private boolean unplugPending;
    private boolean forceUnplug; // the pending unplug releases every delayed stripe, not only aged ones
    private long unplugGeneration; // unplugs done so far
    // --- lock-free ---
    private final AtomicInteger openRequests = new AtomicInteger(); // writes, trims, syncs not yet completed
    private volatile boolean startedSinceUnplug; // a startWrite since the last log unplug
    private volatile long lastClientRequestNanos = System.nanoTime() - 1_000_000_000L; // throttles background sweeps
    private volatile long syncedBelowSector = Long.MAX_VALUE; // resync frontier: stripes at/after it use RCW
    // gauge snapshots (read by metrics without the lock; plain ints are never torn)
    volatile int cacheSize;
    volatile int activeCount;
    volatile int inactiveCount;
    volatile int handleCount;
    volatile int delayedCount;
    volatile int bitmapCount;
    volatile int waitingCount;

    private final Thread[] workers;
    private final ScheduledThreadPoolExecutor timer;
    // Member failures are recorded one at a time; a pass that skipped a lost member passes
    // through this monitor before it acknowledges, so it never beats the superblock update.
    private final Object failureLock = new Object();
    private volatile MemberFailures failures = MemberFailures.NONE;

    public StripeEngine(String name, MemberSet members, WriteIntentLog log, Config config, MeterRegistry registry) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.chunkBytes = geometry.chunkBytes();
        this.dataDisks = geometry.dataDisks();
        this.raidDisks = geometry.raidDisks();
        this.columnsPerChunk = chunkBytes / PAGE;
        if (raidDisks > 64) {
            throw new IllegalArgumentException("the engine handles at most 64 members, not " + raidDisks);
        }
        this.log = log;
        this.maxBatch = config.maxBatchStripes();
        this.unplugDelayMicros = config.unplugDelayMicros();
        this.io = new MemberIo(name, members, config.ioThreads());
        this.table = new StripeTable(config.stripeCacheSize());
        this.metrics = new StripeMetrics(registry, name, this);
        this.targetHeads = config.stripeCacheSize();
        for (int i = 0; i < config.stripeCacheSize(); i++) {
            inactive.addLast(new StripeHead(raidDisks, PAGE));
            totalHeads++;
        }
        updateGauges();
        log.onBatchWritten(this::batchWritten);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "raid5-unplug-" + name);
            t.setDaemon(true);
            return t;
        });
        this.workers = new Thread[config.workerThreads()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Thread(this::workerLoop, "raid5-stripe-" + name + "-" + (i + 1));
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    static void checkCacheSize(int size) {
        if (size < MIN_CACHE || size > MAX_CACHE) {
            throw new IllegalArgumentException("stripe cache size must be " + MIN_CACHE + ".." + MAX_CACHE + ", got " + size);
        }
    }

    public StripeMetrics metrics() {
        return metrics;
    }

    /** Heads per chunk row (a row is {@code chunk / 4 KiB} stripe heads wide). */
    public int stripesPerRow() {
        return columnsPerChunk;
    }

    public int stripeCacheSize() {
        return cacheSize;
    }

    /** Who hears of member errors (the array records them in the superblocks). Set before any I/O. */
    public void setMemberFailures(MemberFailures failures) {
        this.failures = failures;
    }

    /**
     * Member {@code role} is faulty from now on (md's fail; also called for I/O errors): the engine
     * stops using it and, before this returns, the failure is recorded through {@link MemberFailures}.
     * Any thread that may block.
     */
    public void failMember(int role, Throwable cause) {
        synchronized (failureLock) {
            if (members.markFaulty(role)) {
                log.setDegraded(true);
                failures.memberFailed(role, cause);
            }
        }
    }

    /** Waits until every member failure noticed so far is recorded (a no-op when none is in progress). */
    private void awaitFailuresRecorded() {
        synchronized (failureLock) {
            // the monitor is the barrier
        }
    }

    private IOException arrayFailed() {
        return new IOException("array " + name + " has failed: more than one member is lost");
    }

    /** The role this head cannot read (lost, or a spare not rebuilt this far), or -1. */
    private int lostFor(StripeHead sh) {
        int lost = members.lostRole();
        if (lost < 0 || members.readable(lost, (sh.key + 1) * PAGE_SECTORS)) {
            return -1;
        }
        return lost;
    }

    // ------------------------------------------------------------------ public operations

    /** Reads array bytes into {@code dst} (position to limit); cached pages are copied, the rest read from members. */
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        if (members.failed()) {
            return CompletableFuture.failedFuture(arrayFailed());
        }
        lastClientRequestNanos = System.nanoTime();
        CompletableFuture<Void> f = new CompletableFuture<>();
        ByteBuffer view = dst.duplicate();
        io.submit(new MemberIo.Task() {
            List<SyncRequest> fetches; // pages that must come through the cache (lost member, read error)

            @Override
            public void run() throws IOException {
                fetches = readNow(offset, view);
            }

            @Override
            public void done(Throwable error) {
                if (error != null || fetches == null || fetches.isEmpty()) {
                    complete(f, error);
                    return;
                }
                CompletableFuture<?>[] parts = new CompletableFuture<?>[fetches.size()];
                for (int i = 0; i < parts.length; i++) {
                    SyncRequest s = fetches.get(i);
                    submit(s);
                    parts[i] = s.future;
                }
                CompletableFuture.allOf(parts).whenComplete((v, e) -> complete(f,
                        e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e));
            }
        });
        return f;
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
            return CompletableFuture.failedFuture(arrayFailed());
        }
        lastClientRequestNanos = System.nanoTime();
        WriteRequest r = new WriteRequest(offset, srcs, length, fua);
        submit(r);
        if (fua) {
            requestUnplug(true);
        }
        return r.future;
    }

    /** Completes when every write completed before the call is durable on every member. */
    public CompletableFuture<Void> flush() {
        requestUnplug(true);
        CompletableFuture<Void> f = new CompletableFuture<>();
        syncMembers(f);
        return f;
    }

    /**
     * Checks stripe head {@code stripe}'s parity through the cache, ordered with writes to it;
     * with {@code repair} rewrites parity that does not match. Completes with mismatched sectors
     * (md's mismatch_cnt units: 8 per differing 4 KiB page).
     */
    public CompletableFuture<Long> sync(long stripe, boolean repair) {
        SyncRequest s = new SyncRequest(stripe, repair);
        submit(s);
        return s.future;
    }

    /**
     * Rebuilds stripe head {@code stripe} onto the spare in the lost role: reads the other
     * members, reconstructs the page, writes it to the spare. Ordered with writes to the stripe.
     * Completes with the sectors written (0 if there is no spare to write).
     */
    public CompletableFuture<Long> rebuild(long stripe) {
        SyncRequest s = SyncRequest.rebuild(stripe);
        submit(s);
        return s.future;
    }

    /** Client requests (reads are not counted) are open or waiting: background sweeps slow down to their minimum speed. */
    public boolean hasClientRequests() {
        return System.nanoTime() - lastClientRequestNanos < 100_000_000L; // a request in the last 100 ms
    }

    /** Member sectors from the start known in sync; stripes beyond use reconstruct-write only (as md). */
    public void setSyncedBelow(long memberSector) {
        syncedBelowSector = memberSector;
    }

    /**
     * End of a burst: close the bitmap batch and release the delayed stripes that were already
     * parked at the previous unplug (a stripe gets one more burst to be filled by the next
     * request before it pre-reads: requests that arrive over TCP end one burst each). Never blocks.
     */
    public void unplug() {
        if (delayedCount == 0 && bitmapCount == 0 && !startedSinceUnplug) {
            return;
        }
        requestUnplug(false);
    }

    /** Changes the number of stripe heads at run time (md's stripe_cache_size); busy heads are freed as they finish. */
    public void setStripeCacheSize(int size) {
        checkCacheSize(size);
        int grow;
        lock.lock();
        try {
            targetHeads = size;
            StripeHead h;
            while (totalHeads > targetHeads && (h = inactive.pollFirst()) != null) {
                destroy(h);
            }
            grow = targetHeads - totalHeads;
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        if (grow <= 0) {
            return;
        }
        List<StripeHead> fresh = new ArrayList<>(grow);
        for (int i = 0; i < grow; i++) {
            fresh.add(new StripeHead(raidDisks, PAGE));
        }
        lock.lock();
        try {
            table.resizeFor(targetHeads);
            for (StripeHead h : fresh) {
                if (totalHeads < targetHeads) {
                    totalHeads++;
                    inactive.addFirst(h);
                }
            }
            admitWaiters();
            updateGauges();
        } finally {
            unlockAndFinish();
        }
    }

    /** Finishes every queued request, stops the threads. Members stay open (the array owns them). */
    @Override
    public void close() {
        lock.lock();
        try {
            draining = true;
            activateDelayed();
        } finally {
            unlockAndFinish();
        }
        boolean interrupted = false;
        lock.lock();
        try {
            while (openRequests.get() > 0) {
                unplugPending = true;
                forceUnplug = true;
                work.signalAll();
                try {
                    drainedCond.await(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            stopping = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : workers) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        timer.shutdown();
        io.shutdownAndDrain();
        metrics.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ admission

    private void submit(Request r) {
        boolean attached = false;
        lock.lock();
        try {
            if (stopping) {
                fail(r, new IOException("array " + name + " is stopping"));
                return;
            }
            if (waiting.size() >= MAX_WAITING) {
                fail(r, new RejectedExecutionException("array " + name + " has too many requests waiting for stripes"));
                return;
            }
            openRequests.incrementAndGet();
            if (waiting.isEmpty()) {
                attached = r.attach(this);
            }
            if (!attached) {
                waiting.addLast(r);
                metrics.waits.increment();
                unstick();
            }
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        if (attached && r instanceof WriteRequest w) {
            pieceDone(w, null); // the attach guard
        }
    }

    private static void fail(Request r, Throwable e) {
        if (r instanceof WriteRequest w) {
            w.future.completeExceptionally(e);
        } else {
            ((SyncRequest) r).future.completeExceptionally(e);
        }
    }

    /** Attaches the rest of a write; false when it ran out of free heads. Lock held. */
    boolean attachWrite(WriteRequest r) {
        while (r.attached < r.length) {
            long pos = r.offset + r.attached;
            long chunk = pos / chunkBytes;
            int inChunk = (int) (pos - chunk * chunkBytes);
            long row = chunk / dataDisks;
            int dataIndex = (int) (chunk - row * dataDisks);
            int column = inChunk / PAGE;
            int pageOffset = inChunk - column * PAGE;
            int n = Math.min(r.partRemaining(), PAGE - pageOffset);
            StripeHead sh = getHead(row * columnsPerChunk + column);
            if (sh == null) {
                return false;
            }
            int member = geometry.dataMember(row, dataIndex);
            Piece p = r.bases == null ? new Piece(r, pageOffset, n, zeroPage, pageOffset)
                    : new Piece(r, pageOffset, n, r.bases[r.part], r.basePos[r.part] + r.partDone);
            r.remaining.incrementAndGet();
            sh.devs[member].queue(p);
            if (r.fua || draining) {
                sh.urgent = true;
            }
            wake(sh);
            r.advance(n);
        }
        return true;
    }

    /** Lock held. */
    boolean attachSync(SyncRequest s) {
        StripeHead sh = getHead(s.key);
        if (sh == null) {
            return false;
        }
        if (sh.syncs == null) {
            sh.syncs = new ArrayDeque<>(2);
        }
        sh.syncs.add(s);
        wake(sh);
        return true;
    }

    /** New work on {@code sh}: if nobody owns it and it is on no list, it goes to the handle list. Lock held. */
    private void wake(StripeHead sh) {
        if (sh.active || sh.phase == StripeHead.IO) {
            return;
        }
        if (sh.on == null) {
            handle.addLast(sh);
            work.signal();
        } else if (sh.on == delayed && (sh.urgent || sh.fullyOverwritten(FULL_MASK))) {
            delayed.remove(sh);
            sh.prereadActive = true;
            handle.addLast(sh);
            work.signal();
        }
    }

    /** The head for stripe {@code key}: cached, or the least recently used free one. Null when all are busy. Lock held. */
    private StripeHead getHead(long key) {
        StripeHead sh = table.get(key);
        if (sh != null) {
            if (sh.on == inactive) {
                inactive.remove(sh);
            }
            return sh;
        }
        sh = inactive.pollFirst();
        if (sh == null) {
            return null;
        }
        if (sh.key >= 0) {
            table.remove(sh);
        }
        sh.key = key;
        sh.row = key / columnsPerChunk;
        sh.parityMember = geometry.parityDisk(sh.row);
        sh.clearCache();
        sh.urgent = false;
        sh.prereadActive = false;
        table.insert(sh);
        return sh;
    }

    /** A head whose owner is done with it: free if idle, else back to the handle list. Lock held, head on no list. */
    private void release(StripeHead sh) {
        sh.active = false;
        if (sh.hasWork()) {
            handle.addLast(sh);
            work.signal();
            return;
        }
        if (totalHeads > targetHeads) {
            destroy(sh);
        } else {
            inactive.addLast(sh);
        }
        if (!waiting.isEmpty()) {
            admitWaiters();
        }
    }

    private void destroy(StripeHead sh) {
        if (sh.key >= 0) {
            table.remove(sh);
        }
        sh.key = -1;
        sh.dead = true;
        totalHeads--;
    }

    /** Lock held. */
    private void admitWaiters() {
        while (!waiting.isEmpty()) {
            Request r = waiting.peekFirst();
            if (!r.attach(this)) {
                break;
            }
            waiting.pollFirst();
            if (r instanceof WriteRequest w && w.remaining.decrementAndGet() == 0) {
                deferred.add(w);
            }
        }
        if (!waiting.isEmpty()) {
            unstick();
        }
    }

    /**
     * Requests wait for heads, and every busy head is parked (delayed or bitmap): nothing would
     * free one before the timer, so release the delayed ones and ask for an unplug now. Lock held.
     */
    private void unstick() {
        int parked = delayed.size() + bitmap.size();
        int inUse = totalHeads - inactive.size();
        if (handle.isEmpty() && inUse == parked && parked > 0) {
            activateDelayed();
            if (!bitmap.isEmpty()) {
                unplugPending = true;
                forceUnplug = true;
                work.signal();
            }
        }
    }

    // ------------------------------------------------------------------ lists, unplug, timer

    private void park(StripeHead sh, StripeList list) {
        sh.active = false;
        sh.delayedAt = unplugGeneration;
        list.addLast(sh);
        if (list == delayed && delayed.size() > Math.max(1, targetHeads / 4)) {
            activateDelayed(); // too many wait for an unplug: pre-read now
        } else {
            armTimer();
        }
        if (!waiting.isEmpty()) {
            unstick();
        }
    }

    private void activateDelayed() {
        activateDelayed(Long.MAX_VALUE);
    }

    /** Releases delayed stripes parked at or before unplug generation {@code upTo} (the list is in park order). */
    private void activateDelayed(long upTo) {
        StripeHead h;
        while ((h = delayed.peekFirst()) != null && h.delayedAt <= upTo) {
            delayed.remove(h);
            h.prereadActive = true;
            handle.addLast(h);
        }
        work.signalAll();
    }

    private void moveWrittenBitmapStripes() {
        StripeHead h = bitmap.peekFirst();
        while (h != null) {
            StripeHead next = h.next;
            if (log.isBatchWritten(h.bmSeq)) {
                bitmap.remove(h);
                handle.addLast(h);
                work.signal();
            }
            h = next;
        }
    }

    private void armTimer() {
        if (!timerArmed && unplugDelayMicros > 0 && !stopping) {
            timerArmed = true;
            timer.schedule(this::timerFired, unplugDelayMicros, TimeUnit.MICROSECONDS);
        }
    }

    private void timerFired() {
        lock.lock();
        try {
            timerArmed = false;
            unplugPending = true;
            forceUnplug = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void requestUnplug(boolean force) {
        lock.lock();
        try {
            forceUnplug |= force;
            if (!unplugPending) {
                unplugPending = true;
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** On a worker: close the bitmap batch, then release delayed stripes and settled bitmap stripes. */
    private void unplugNow() {
        boolean bitmapWaits;
        lock.lock();
        try {
            bitmapWaits = !bitmap.isEmpty();
        } finally {
            lock.unlock();
        }
        if (startedSinceUnplug || bitmapWaits) {
            startedSinceUnplug = false;
            log.unplug();
        }
        lock.lock();
        try {
            boolean all = forceUnplug || draining;
            forceUnplug = false;
            unplugGeneration++;
            activateDelayed(all ? Long.MAX_VALUE : unplugGeneration - 2);
            moveWrittenBitmapStripes();
            updateGauges();
        } finally {
            unlockAndFinish();
        }
    }

    /** The log's listener: another batch is durable. Any thread. */
    private void batchWritten() {
        lock.lock();
        try {
            moveWrittenBitmapStripes();
            updateGauges();
        } finally {
            unlockAndFinish();
        }
    }

    private void unlockAndFinish() {
        if (deferred.isEmpty()) {
            lock.unlock();
            return;
        }
        WriteRequest[] done = deferred.toArray(new WriteRequest[0]);
        deferred.clear();
        lock.unlock();
        for (WriteRequest w : done) {
            finishWrite(w);
        }
    }

    private void updateGauges() {
        cacheSize = targetHeads;
        inactiveCount = inactive.size();
        activeCount = totalHeads - inactive.size();
        handleCount = handle.size();
        delayedCount = delayed.size();
        bitmapCount = bitmap.size();
        waitingCount = waiting.size();
    }

    // ------------------------------------------------------------------ workers

    private void workerLoop() {
        while (true) {
            StripeHead sh = null;
            boolean doUnplug = false;
            boolean flushBitmap = false;
            lock.lock();
            try {
                while (!stopping && handle.isEmpty() && !unplugPending && !bitmapBatchDue()) {
                    work.awaitUninterruptibly();
                }
                if (unplugPending) {
                    unplugPending = false;
                    doUnplug = true;
                } else if (handle.isEmpty() && bitmapBatchDue()) {
                    // md's raid5d: nothing ready to handle but stripes wait for the bitmap, so now
                    // is a good time to write the open batch. Delayed stripes stay delayed.
                    startedSinceUnplug = false;
                    flushBitmap = true;
                } else if (handle.isEmpty()) {
                    return; // stopping
                } else {
                    sh = handle.pollFirst();
                    sh.active = true;
                }
            } finally {
                lock.unlock();
            }
            try {
                if (doUnplug) {
                    unplugNow();
                } else if (flushBitmap) {
                    log.unplug(); // its listener moves the settled stripes to the handle list
                } else {
                    handleStripe(sh);
                }
            } catch (RuntimeException | Error e) {
                // A bug in the engine: fail loudly in the log rather than killing the worker silently.
                java.util.logging.Logger.getLogger(StripeEngine.class.getName())
                        .log(java.util.logging.Level.SEVERE, "array " + name + ": stripe handling failed", e);
            }
        }
    }

    /** Stripes wait on the bitmap list and a startWrite opened a batch since the last log unplug. Lock held. */
    private boolean bitmapBatchDue() {
        return startedSinceUnplug && !bitmap.isEmpty();
    }

    /** md's handle_stripe: the worker owns {@code sh} ({@code active}). */
    private void handleStripe(StripeHead sh) {
        boolean start = false;
        lock.lock();
        try {
            if (sh.phase == StripeHead.IDLE) {
                if (sh.hasPendingWrites()) {
                    sh.phase = StripeHead.WRITE_PLAN;
                    start = true;
                } else if (sh.hasPendingSyncs()) {
                    sh.phase = StripeHead.SYNC_PLAN;
                } else {
                    release(sh);
                    updateGauges();
                    return;
                }
            }
        } finally {
            unlockAndFinish();
        }
        if (start) {
            sh.bmSeq = startWrite(sh);
        }
        if (sh.phase == StripeHead.WRITE_PLAN) {
            planWrite(sh);
        } else {
            planSync(sh);
        }
    }

    private long startWrite(StripeHead sh) {
        long seq = log.startWrite(sh.key * PAGE_SECTORS, PAGE_SECTORS);
        startedSinceUnplug = true;
        return seq;
    }

    // ------------------------------------------------------------------ write passes

    private void planWrite(StripeHead sh) {
        if (members.failed()) {
            failPass(sh, arrayFailed());
            return;
        }
        List<StripeHead> claimed = null;
        boolean doReads = false;
        lock.lock();
        try {
            if (!log.isBatchWritten(sh.bmSeq)) {
                park(sh, bitmap);
                updateGauges();
                return;
            }
            int pd = sh.parityMember;
            int rcw = 0;
            int rmw = sh.devs[pd].uptodate ? 0 : 1;
            for (int m = 0; m < raidDisks; m++) {
                if (m == pd) {
                    continue;
                }
                Dev d = sh.devs[m];
                if (!d.uptodate && !d.overwritten(FULL_MASK, PAGE)) {
                    rcw++;
                }
                if (d.hasPendingWrite() && !d.uptodate) {
                    rmw++;
                }
            }
            // md: read-modify-write only when it needs strictly fewer reads, and never on a
            // stripe the resync has not reached (its parity may be wrong; RCW makes it right).
            boolean useRmw = rmw < rcw && (sh.key + 1) * PAGE_SECTORS <= syncedBelowSector;
            int reads = useRmw ? rmw : rcw;
            int lost = lostFor(sh);
            boolean reconstruct = false;
            if (lost >= 0) {
                // Degraded: reconstruct-write, never reading the lost member. Its page, if it is a
                // data page this pass does not fully overwrite, is rebuilt from all the others.
                useRmw = false;
                Dev ld = sh.devs[lost];
                reconstruct = lost != pd && !ld.uptodate && !ld.overwritten(FULL_MASK, PAGE);
                reads = 0;
                for (int m = 0; m < raidDisks; m++) {
                    Dev d = sh.devs[m];
                    if (m != lost && !d.uptodate && (reconstruct || (m != pd && !d.overwritten(FULL_MASK, PAGE)))) {
                        reads++;
                    }
                }
                if (reads == 0 && reconstruct) {
                    reconstruct(sh, lost); // every other page is up to date: one page of XOR
                }
            }
            if (reads > 0) {
                if (!sh.prereadActive && !sh.urgent && !draining) {
                    park(sh, delayed);
                    updateGauges();
                    return;
                }
                for (int m = 0; m < raidDisks; m++) {
                    Dev d = sh.devs[m];
                    d.reading = !d.uptodate && (useRmw ? (m == pd || d.hasPendingWrite())
                            : (m != pd && !d.overwritten(FULL_MASK, PAGE)));
                    if (lost >= 0) {
                        d.reading = m != lost && !d.uptodate
                                && (reconstruct || (m != pd && !d.overwritten(FULL_MASK, PAGE)));
                    }
                }
                sh.planPhase = StripeHead.WRITE_PLAN;
                sh.phase = StripeHead.IO;
                sh.active = false; // owned by the reads from here
                metrics.prereads.increment(reads);
                doReads = true;
            } else if (!useRmw && maxBatch > 1 && sh.fullyOverwritten(FULL_MASK)) {
                claimed = claimNeighbours(sh);
            }
            if (!doReads && (claimed == null || claimed.isEmpty())) {
                sh.rmw = useRmw;
                drainPass(sh, sh.devs[pd].page);
            }
        } finally {
            unlockAndFinish();
        }
        if (doReads) {
            submitReads(sh);
        } else if (claimed != null && !claimed.isEmpty()) {
            writeBatch(sh, claimed);
        } else {
            computeAndWrite(sh);
        }
    }

    /**
     * Takes the following stripes that are full-stripe writes waiting on the handle or delayed
     * list into a batch with {@code first}. Lock held; the claimed heads become owned by this
     * worker. Their bitmap state is settled by the caller before they join.
     */
    private List<StripeHead> claimNeighbours(StripeHead first) {
        List<StripeHead> claimed = new ArrayList<>();
        long key = first.key + 1;
        while (claimed.size() + 1 < maxBatch) {
            StripeHead h = table.get(key);
            if (h == null || h.active || (h.on != handle && h.on != delayed)
                    || (h.phase != StripeHead.IDLE && h.phase != StripeHead.WRITE_PLAN)
                    || h.hasPendingSyncs() || !h.fullyOverwritten(FULL_MASK)) {
                break;
            }
            h.on.remove(h);
            h.active = true;
            claimed.add(h);
            key++;
        }
        return claimed;
    }

    /** Moves pending pieces into the pass (lock held); pieces that cover a whole page are written from the caller's buffer. */
    private void drainPass(StripeHead sh, ByteBuffer parityOut) {
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (!d.hasPendingWrite()) {
                continue;
            }
            d.drain();
            Piece p = d.writing;
            if (p.next == null && p.pageOffset == 0 && p.length == PAGE) {
                d.src = p.source(); // skip-copy: the page will not hold this data (an RMW still
                d.uptodate = false; // reads the old bytes from it: the pass owns it)
            } else {
                d.src = null;
            }
        }
        sh.parityOut = parityOut;
        sh.urgent = false;
        sh.phase = StripeHead.IO;
        sh.planPhase = StripeHead.WRITE_PLAN;
        if (sh.rmw) {
            metrics.rmw.increment();
        } else {
            metrics.rcw.increment();
        }
    }

    /** New parity for one head's pass (outside the lock; the pass owns the pages). */
    private void compute(StripeHead sh, ByteBuffer[] srcs) {
        int pd = sh.parityMember;
        ByteBuffer parity = sh.parityOut.duplicate();
        if (sh.rmw) {
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                if (m == pd || d.writing == null) {
                    continue;
                }
                Parity.xorInto(parity, d.page); // remove the old data
                if (d.src == null) {
                    copyPieces(d);
                    d.src = d.page;
                }
                Parity.xorInto(parity, d.src); // add the new
            }
            return;
        }
        int j = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (m == pd) {
                continue;
            }
            Dev d = sh.devs[m];
            if (d.writing != null && d.src == null) {
                copyPieces(d);
                d.src = d.page;
            }
            srcs[j++] = d.writing != null ? d.src : d.page;
        }
        Parity.compute(parity, srcs, dataDisks);
    }

    private static void copyPieces(Dev d) {
        for (Piece p = d.writing; p != null; p = p.next) {
            d.page.put(p.pageOffset, p.base, p.basePos, p.length);
        }
    }

    /** After compute: pages filled by copying are up to date; the parity page is if it holds the new parity. Lock held. */
    private void markComputed(StripeHead sh) {
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (m == sh.parityMember) {
                d.uptodate = sh.parityOut == d.page;
            } else if (d.writing != null) {
                d.uptodate = d.src == d.page;
            }
        }
    }

    /** One head's write pass: compute parity, write the changed pages and parity in one I/O task. */
    private void computeAndWrite(StripeHead sh) {
        compute(sh, new ByteBuffer[dataDisks]);
        lock.lock();
        try {
            markComputed(sh);
            sh.active = false;
        } finally {
            lock.unlock();
        }
        int writes = 1;
        for (int m = 0; m < raidDisks; m++) {
            if (m != sh.parityMember && sh.devs[m].writing != null) {
                writes++;
            }
        }
        int[] who = new int[writes];
        ByteBuffer[] what = new ByteBuffer[writes];
        int k = 0;
        for (int m = 0; m < raidDisks; m++) {
            Dev d = sh.devs[m];
            if (m == sh.parityMember) {
                who[k] = m;
                what[k++] = sh.parityOut;
            } else if (d.writing != null) {
                who[k] = m;
                what[k++] = d.src;
            }
        }
        long column = (sh.key % columnsPerChunk) * PAGE;
        io.submit(new MemberIo.Task() {
            long failedMask; // members whose write failed (the others are still written)
            Throwable firstError;

            @Override
            public void run() {
                for (int i = 0; i < who.length; i++) {
                    if (!members.writable(who[i])) {
                        continue; // lost: its data lives on in parity
                    }
                    try {
                        members.member(who[i]).write(members.rowAddress(who[i], sh.row) + column, what[i].duplicate());
                        metrics.memberWriteBytes.record(PAGE);
                    } catch (IOException | RuntimeException e) {
                        failedMask |= 1L << who[i];
                        if (firstError == null) {
                            firstError = e;
                        }
                    }
                }
            }

            @Override
            public void done(Throwable error) {
                writesDone(List.of(sh), failedMask, error != null ? error : firstError, null);
            }
        });
    }

    /**
     * A full-stripe batch: settle the claimed heads' bitmap state (startWrite for those that
     * had not started), keep the contiguous prefix whose batch is durable, compute parity for
     * all into one batch buffer, and give each member one coalesced write.
     */
    private void writeBatch(StripeHead first, List<StripeHead> claimed) {
        long[] seqs = new long[claimed.size()];
        for (int i = 0; i < claimed.size(); i++) {
            StripeHead h = claimed.get(i);
            seqs[i] = h.phase == StripeHead.IDLE ? startWrite(h) : h.bmSeq; // owned: phase cannot change
        }
        List<StripeHead> batch = new ArrayList<>(claimed.size() + 1);
        batch.add(first);
        ByteBuffer parityBuf = null;
        lock.lock();
        try {
            boolean cut = false;
            for (int i = 0; i < claimed.size(); i++) {
                StripeHead h = claimed.get(i);
                if (h.phase == StripeHead.IDLE) {
                    h.phase = StripeHead.WRITE_PLAN;
                    h.bmSeq = seqs[i];
                }
                boolean settled = log.isBatchWritten(h.bmSeq);
                if (!cut && settled) {
                    batch.add(h);
                    continue;
                }
                cut = true;
                if (settled) {
                    h.active = false;
                    handle.addLast(h);
                    work.signal();
                } else {
                    park(h, bitmap);
                }
            }
            if (batch.size() > 1) {
                parityBuf = batchBuffers.pollFirst();
            }
            for (StripeHead h : batch) {
                h.rmw = false;
                drainPass(h, h.devs[h.parityMember].page);
            }
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        int k = batch.size();
        metrics.batchStripes.record(k);
        if (k > 1 && parityBuf == null) {
            parityBuf = ByteBuffer.allocateDirect(maxBatch * PAGE); // the pool fills up to its size once, then recycles
        }
        ByteBuffer[] srcs = new ByteBuffer[dataDisks];
        for (int i = 0; i < k; i++) {
            StripeHead h = batch.get(i);
            if (parityBuf != null) {
                h.parityOut = parityBuf.duplicate().limit((i + 1) * PAGE).position(i * PAGE).slice();
            }
            compute(h, srcs);
        }
        lock.lock();
        try {
            for (StripeHead h : batch) {
                markComputed(h);
                h.active = false;
            }
        } finally {
            lock.unlock();
        }
        submitBatchWrites(batch, parityBuf);
    }

    /** One write task per member: the batch's pages for that member are adjacent on it; adjacent buffers merge. */
    private void submitBatchWrites(List<StripeHead> batch, ByteBuffer parityBuf) {
        int k = batch.size();
        int targets = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (members.writable(m)) {
                targets++;
            }
        }
        if (targets == 0) {
            writesDone(batch, 0, arrayFailed(), parityBuf);
            return;
        }
        AtomicInteger left = new AtomicInteger(targets);
        java.util.concurrent.atomic.AtomicLong failedMask = new java.util.concurrent.atomic.AtomicLong();
        Throwable[] firstError = new Throwable[1];
        StripeHead h0 = batch.get(0);
        long column0 = (h0.key % columnsPerChunk) * PAGE;
        for (int m = 0; m < raidDisks; m++) {
            if (!members.writable(m)) {
                continue; // lost: its data lives on in parity
            }
            int member = m;
            long address = members.rowAddress(m, h0.row) + column0;
            List<ByteBuffer> segments = new ArrayList<>(4);
            ByteBuffer runBase = null;
            int runPos = 0;
            int runLen = 0;
            for (int i = 0; i < k; i++) {
                StripeHead h = batch.get(i);
                ByteBuffer base;
                int pos;
                if (m == h.parityMember) {
                    base = parityBuf != null ? parityBuf : h.parityOut;
                    pos = parityBuf != null ? i * PAGE : 0;
                } else {
                    Dev d = h.devs[m];
                    if (d.src == d.page) {
                        base = d.page;
                        pos = 0;
                    } else {
                        base = d.writing.base;
                        pos = d.writing.basePos;
                    }
                }
                if (runBase == base && runPos + runLen == pos) {
                    runLen += PAGE;
                } else {
                    if (runBase != null) {
                        segments.add(view(runBase, runPos, runLen));
                    }
                    runBase = base;
                    runPos = pos;
                    runLen = PAGE;
                }
            }
            segments.add(view(runBase, runPos, runLen));
            metrics.memberWriteBytes.record((double) k * PAGE);
            io.submit(new MemberIo.Task() {
                @Override
                public void run() throws IOException {
                    long at = address;
                    for (ByteBuffer s : segments) {
                        int n = s.remaining();
                        members.member(member).write(at, s);
                        at += n;
                    }
                }

                @Override
                public void done(Throwable error) {
                    if (error != null) {
                        if (error instanceof IOException) {
                            failedMask.getAndUpdate(v -> v | (1L << member));
                        }
                        synchronized (firstError) {
                            if (firstError[0] == null) {
                                firstError[0] = error;
                            }
                        }
                    }
                    if (left.decrementAndGet() == 0) {
                        Throwable e;
                        synchronized (firstError) {
                            e = firstError[0];
                        }
                        writesDone(batch, failedMask.get(), e, parityBuf);
                    }
                }
            });
        }
    }

    private static ByteBuffer view(ByteBuffer base, int pos, int len) {
        return base.duplicate().limit(pos + len).position(pos).slice();
    }

    /** Member writes of a pass (one head or a batch) ended: endWrite, complete the pieces, release. Any thread. */
    private void writesDone(List<StripeHead> heads, long failedMask, Throwable error, ByteBuffer parityBuf) {
        if (failedMask != 0) {
            // A member write failed: that member is faulty now (recorded before we acknowledge);
            // the others were written, so the data stays recoverable unless the array failed.
            for (int m = 0; m < raidDisks; m++) {
                if ((failedMask & (1L << m)) != 0) {
                    failMember(m, error);
                }
            }
            error = members.failed() ? arrayFailed() : null;
        } else if (error == null && members.failed()) {
            error = arrayFailed(); // nothing is acknowledged once the array failed
        }
        if (error == null && members.degraded()) {
            awaitFailuresRecorded(); // a skipped member's failure is durable before the ack
        }
        boolean degraded = members.degraded();
        List<Piece> pieces = new ArrayList<>();
        lock.lock();
        try {
            for (StripeHead h : heads) {
                for (Dev d : h.devs) {
                    for (Piece p = d.writing; p != null; p = p.next) {
                        pieces.add(p);
                    }
                    d.writing = null;
                    d.src = null;
                }
                if (error != null) {
                    h.clearCache(); // what reached the members is unknown
                }
            }
            if (parityBuf != null && batchBuffers.size() < workers.length * 2) {
                batchBuffers.addLast(parityBuf);
            }
        } finally {
            lock.unlock();
        }
        for (StripeHead h : heads) {
            log.endWrite(h.key * PAGE_SECTORS, PAGE_SECTORS, error == null, degraded);
        }
        lock.lock();
        try {
            for (StripeHead h : heads) {
                h.phase = StripeHead.IDLE;
                h.prereadActive = false;
                h.parityOut = null;
                release(h);
            }
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        for (Piece p : pieces) {
            pieceDone(p.request, error);
        }
    }

    private void pieceDone(WriteRequest r, Throwable error) {
        if (error != null) {
            r.error = error;
        }
        if (r.remaining.decrementAndGet() == 0) {
            finishWrite(r);
        }
    }

    private void finishWrite(WriteRequest r) {
        Throwable e = r.error;
        if (e == null && r.fua) {
            syncMembers(r.future);
            requestDone();
            return;
        }
        complete(r.future, e);
        requestDone();
    }

    private void requestDone() {
        if (openRequests.decrementAndGet() == 0 && draining) {
            lock.lock();
            try {
                drainedCond.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void syncMembers(CompletableFuture<Void> f) {
        io.submit(new MemberIo.Task() {
            @Override
            public void run() throws IOException {
                for (int m = 0; m < raidDisks; m++) {
                    if (!members.writable(m)) {
                        continue;
                    }
                    try {
                        members.member(m).sync();
                    } catch (IOException e) {
                        failMember(m, e); // its writes may be lost: it is faulty, the others hold the data
                    }
                }
                if (members.failed()) {
                    throw arrayFailed();
                }
                if (members.degraded()) {
                    awaitFailuresRecorded();
                }
            }

            @Override
            public void done(Throwable error) {
                complete(f, error);
            }
        });
    }

    private static void complete(CompletableFuture<Void> f, Throwable error) {
        if (error == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(error);
        }
    }

    // ------------------------------------------------------------------ pre-reads

    private void submitReads(StripeHead sh) {
        long column = (sh.key % columnsPerChunk) * PAGE;
        io.submit(new MemberIo.Task() {
            long failedMask; // members whose read failed
            Throwable firstError;

            @Override
            public void run() {
                for (int m = 0; m < raidDisks; m++) {
                    Dev d = sh.devs[m];
                    if (d.reading) {
                        try {
                            members.member(m).read(members.rowAddress(m, sh.row) + column, d.pageView());
                        } catch (IOException | RuntimeException e) {
                            failedMask |= 1L << m;
                            if (firstError == null) {
                                firstError = e;
                            }
                        }
                    }
                }
            }

            @Override
            public void done(Throwable error) {
                if (error == null && failedMask != 0) {
                    error = repairReadErrors(sh, failedMask, firstError);
                }
                readsDone(sh, error);
            }
        });
    }

    /**
     * On the I/O thread that saw read errors, while the pass owns {@code sh}: md's read-error
     * handling. With one bad member and a whole array, read every other page, reconstruct the bad
     * one, write it back (a corrected read) or, if that fails too, fail the member; the page is
     * then up to date in the cache either way. Otherwise the erring members fail.
     *
     * @return null when the pass may go on (its reads are good), else the error that fails it
     */
    private Throwable repairReadErrors(StripeHead sh, long failedMask, Throwable cause) {
        for (int m = 0; m < raidDisks; m++) {
            if ((failedMask & (1L << m)) != 0 && !members.readable(m, (sh.key + 1) * PAGE_SECTORS)) {
                // Lost since the pass was planned: drop the read, the re-plan reconstructs the page.
                sh.devs[m].reading = false;
                failedMask &= ~(1L << m);
            }
        }
        if (failedMask == 0) {
            return null;
        }
        int bad = Long.numberOfTrailingZeros(failedMask);
        if (Long.bitCount(failedMask) > 1 || members.degraded()) {
            for (int m = 0; m < raidDisks; m++) {
                if ((failedMask & (1L << m)) != 0) {
                    failMember(m, cause);
                }
            }
            return members.failed() ? arrayFailed() : cause;
        }
        long column = (sh.key % columnsPerChunk) * PAGE;
        boolean[] valid = new boolean[raidDisks];
        lock.lock();
        try {
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                valid[m] = m != bad && (d.uptodate || d.reading);
            }
        } finally {
            lock.unlock();
        }
        for (int m = 0; m < raidDisks; m++) {
            if (m == bad || valid[m]) {
                continue;
            }
            Dev d = sh.devs[m];
            try {
                members.member(m).read(members.rowAddress(m, sh.row) + column, d.pageView());
                d.reading = true; // marked up to date with the pass's reads
            } catch (IOException | RuntimeException e) {
                failMember(m, e); // a second bad member: the block is lost
                failMember(bad, cause);
                return arrayFailed();
            }
        }
        Dev b = sh.devs[bad];
        rebuildPage(sh, bad);
        try {
            members.member(bad).write(members.rowAddress(bad, sh.row) + column, b.pageView());
            failures.correctedRead(bad);
        } catch (IOException | RuntimeException e) {
            failMember(bad, e);
        }
        b.reading = true; // up to date now (reconstructed)
        return null;
    }

    /** The page of {@code target} = XOR of every other member's page (all must hold valid bytes). Pass owns the head. */
    private void rebuildPage(StripeHead sh, int target) {
        ByteBuffer[] srcs = new ByteBuffer[raidDisks - 1];
        int j = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (m != target) {
                srcs[j++] = sh.devs[m].page;
            }
        }
        Parity.compute(sh.devs[target].page.duplicate(), srcs, srcs.length);
    }

    /** Lock held, all other pages up to date: reconstructs the lost member's page into the cache (one page of XOR). */
    private void reconstruct(StripeHead sh, int lost) {
        rebuildPage(sh, lost);
        sh.devs[lost].uptodate = true;
    }

    /** Fails every request of the head's pass (array failed): pieces and syncs get {@code error}; endWrite if a write pass started. */
    private void failPass(StripeHead sh, Throwable error) {
        List<Piece> failed = new ArrayList<>();
        List<SyncRequest> failedSyncs = new ArrayList<>();
        boolean endWrite;
        lock.lock();
        try {
            endWrite = sh.phase == StripeHead.WRITE_PLAN;
            for (Dev d : sh.devs) {
                for (Piece p = d.toWriteHead; p != null; p = p.next) {
                    failed.add(p);
                }
                d.drain();
                d.writing = null;
                d.reading = false;
            }
            if (sh.syncing != null) {
                failedSyncs.addAll(sh.syncing);
                sh.syncing = null;
            }
            if (sh.syncs != null) {
                failedSyncs.addAll(sh.syncs);
                sh.syncs.clear();
            }
            sh.clearCache();
            sh.phase = StripeHead.IO;
        } finally {
            lock.unlock();
        }
        if (endWrite) {
            log.endWrite(sh.key * PAGE_SECTORS, PAGE_SECTORS, false, members.degraded());
        }
        lock.lock();
        try {
            sh.phase = StripeHead.IDLE;
            sh.prereadActive = false;
            release(sh);
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        for (Piece p : failed) {
            pieceDone(p.request, error);
        }
        for (SyncRequest s : failedSyncs) {
            s.future.completeExceptionally(error);
            requestDone();
        }
    }

    private void readsDone(StripeHead sh, Throwable error) {
        List<Piece> failed = null;
        List<SyncRequest> failedSyncs = null;
        boolean endWrite = false;
        lock.lock();
        try {
            for (Dev d : sh.devs) {
                if (d.reading) {
                    d.reading = false;
                    d.uptodate = error == null;
                }
            }
            if (error == null) {
                sh.phase = sh.planPhase;
                handle.addLast(sh);
                work.signal();
                updateGauges();
                return;
            }
            // The reads could not be repaired (the array failed): the pass fails its requests.
            if (sh.planPhase == StripeHead.WRITE_PLAN) {
                failed = new ArrayList<>();
                for (Dev d : sh.devs) {
                    for (Piece p = d.toWriteHead; p != null; p = p.next) {
                        failed.add(p);
                    }
                    d.drain();
                    d.writing = null;
                }
                endWrite = true;
            } else {
                failedSyncs = new ArrayList<>(sh.syncing);
                sh.syncing = null;
            }
            sh.phase = StripeHead.IO; // keep it owned until endWrite is done
        } finally {
            lock.unlock();
        }
        if (endWrite) {
            log.endWrite(sh.key * PAGE_SECTORS, PAGE_SECTORS, false, members.degraded());
        }
        lock.lock();
        try {
            sh.phase = StripeHead.IDLE;
            sh.prereadActive = false;
            release(sh);
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        if (failed != null) {
            for (Piece p : failed) {
                pieceDone(p.request, error);
            }
        }
        if (failedSyncs != null) {
            for (SyncRequest s : failedSyncs) {
                s.future.completeExceptionally(error);
                requestDone();
            }
        }
    }

    // ------------------------------------------------------------------ sync passes (resync, check, repair)

    private void planSync(StripeHead sh) {
        if (members.failed()) {
            failPass(sh, arrayFailed());
            return;
        }
        boolean needReads = false;
        int lost;
        lock.lock();
        try {
            if (sh.syncing == null) {
                sh.syncing = sh.syncs;
                sh.syncs = null;
            }
            lost = lostFor(sh);
            for (int m = 0; m < raidDisks; m++) {
                Dev d = sh.devs[m];
                d.reading = m != lost && !d.uptodate;
                needReads |= d.reading;
            }
            if (!needReads && lost >= 0 && !sh.devs[lost].uptodate) {
                reconstruct(sh, lost);
            }
            sh.phase = StripeHead.IO;
            sh.planPhase = StripeHead.SYNC_PLAN;
            if (needReads) {
                sh.active = false;
            }
        } finally {
            lock.unlock();
        }
        if (needReads) {
            submitReads(sh);
            return;
        }
        // Every page is up to date and owned by this pass.
        boolean check = false;
        boolean repair = false;
        boolean rebuild = false;
        for (SyncRequest s : sh.syncing) {
            if (s.kind == SyncRequest.FETCH) {
                s.dst.put(s.dstPos, sh.devs[s.member].page, s.pageOffset, s.length);
            } else if (s.kind == SyncRequest.REBUILD) {
                rebuild = true;
            } else {
                check = true;
                repair |= s.repair;
            }
        }
        long mismatched = 0;
        Dev parity = sh.devs[sh.parityMember];
        boolean writeParity = false;
        if (check && lost < 0) { // a degraded stripe has no redundancy to check
            ByteBuffer computed = syncScratch.get().clear();
            ByteBuffer[] data = new ByteBuffer[dataDisks];
            int j = 0;
            for (int m = 0; m < raidDisks; m++) {
                if (m != sh.parityMember) {
                    data[j++] = sh.devs[m].page;
                }
            }
            Parity.compute(computed, data, dataDisks);
            if (!Parity.equals(computed, parity.page)) {
                mismatched = PAGE_SECTORS;
                if (repair) {
                    parity.page.put(0, computed, 0, PAGE);
                    writeParity = true;
                }
            }
        }
        int rebuildRole = rebuild && lost >= 0 && members.writable(lost) ? lost : -1;
        if (!writeParity && rebuildRole < 0) {
            syncDone(sh, mismatched, 0, null);
            return;
        }
        long column = (sh.key % columnsPerChunk) * PAGE;
        long found = mismatched;
        boolean parityToo = writeParity;
        lock.lock();
        try {
            sh.active = false;
        } finally {
            lock.unlock();
        }
        io.submit(new MemberIo.Task() {
            int failedRole = -1;
            Throwable failure;

            @Override
            public void run() {
                int[] targets = {parityToo ? sh.parityMember : -1, rebuildRole};
                for (int role : targets) {
                    if (role < 0) {
                        continue;
                    }
                    try {
                        members.member(role).write(members.rowAddress(role, sh.row) + column, sh.devs[role].pageView());
                        metrics.memberWriteBytes.record(PAGE);
                    } catch (IOException | RuntimeException e) {
                        failedRole = role;
                        failure = e;
                    }
                }
            }

            @Override
            public void done(Throwable error) {
                if (failedRole >= 0) {
                    failMember(failedRole, failure);
                    error = members.failed() ? arrayFailed() : null;
                }
                syncDone(sh, found, rebuildRole >= 0 && failedRole != rebuildRole ? PAGE_SECTORS : 0, error);
            }
        });
    }

    private void syncDone(StripeHead sh, long mismatched, long rebuilt, Throwable error) {
        List<SyncRequest> done;
        lock.lock();
        try {
            done = new ArrayList<>(sh.syncing);
            sh.syncing = null;
            if (error != null) {
                sh.clearCache();
            }
            sh.phase = StripeHead.IDLE;
            release(sh);
            updateGauges();
        } finally {
            unlockAndFinish();
        }
        for (SyncRequest s : done) {
            if (error == null) {
                s.future.complete(s.kind == SyncRequest.CHECK ? mismatched : s.kind == SyncRequest.REBUILD ? rebuilt : 0L);
            } else {
                s.future.completeExceptionally(error);
            }
            requestDone();
        }
    }

    // ------------------------------------------------------------------ reads

    /**
     * On an I/O thread: pages an up-to-date head holds are copied under the lock (so the head
     * cannot be recycled meanwhile); the rest is read from the data members, adjacent pages in
     * one read. A head's page is up to date only when it equals the member or holds newer,
     * not yet acknowledged data, so either source returns every acknowledged write.
     */
    private List<SyncRequest> readNow(long offset, ByteBuffer dst) throws IOException {
        List<SyncRequest> fetches = null;
        int length = dst.remaining();
        int base = dst.position();
        long[] runAddress = new long[4];
        int[] runMember = new int[4];
        int[] runDst = new int[4];
        int[] runLen = new int[4];
        int runs = 0;
        long hits = 0;
        long misses = 0;
        lock.lock();
        try {
            int done = 0;
            while (done < length) {
                long pos = offset + done;
                long chunk = pos / chunkBytes;
                int inChunk = (int) (pos - chunk * chunkBytes);
                long row = chunk / dataDisks;
                int dataIndex = (int) (chunk - row * dataDisks);
                int column = inChunk / PAGE;
                int pageOffset = inChunk - column * PAGE;
                int n = Math.min(length - done, PAGE - pageOffset);
                int member = geometry.dataMember(row, dataIndex);
                long key = row * columnsPerChunk + column;
                StripeHead sh = table.get(key);
                if (sh != null && sh.devs[member].uptodate) {
                    dst.put(base + done, sh.devs[member].page, pageOffset, n);
                    hits++;
                } else if (!members.readable(member, (key + 1) * PAGE_SECTORS)) {
                    // lost member: reconstructed through the cache, ordered with writes to the stripe
                    if (fetches == null) {
                        fetches = new ArrayList<>();
                    }
                    fetches.add(SyncRequest.fetch(key, member, pageOffset, n, dst, base + done));
                    misses++;
                } else {
                    long address = members.rowAddress(member, row) + inChunk;
                    int last = runs - 1;
                    if (last >= 0 && runMember[last] == member && runAddress[last] + runLen[last] == address
                            && runDst[last] + runLen[last] == base + done) {
                        runLen[last] += n;
                    } else {
                        if (runs == runAddress.length) {
                            runAddress = java.util.Arrays.copyOf(runAddress, runs * 2);
                            runMember = java.util.Arrays.copyOf(runMember, runs * 2);
                            runDst = java.util.Arrays.copyOf(runDst, runs * 2);
                            runLen = java.util.Arrays.copyOf(runLen, runs * 2);
                        }
                        runAddress[runs] = address;
                        runMember[runs] = member;
                        runDst[runs] = base + done;
                        runLen[runs] = n;
                        runs++;
                    }
                    misses++;
                }
                done += n;
            }
        } finally {
            lock.unlock();
        }
        if (hits > 0) {
            metrics.hits.increment(hits);
        }
        if (misses > 0) {
            metrics.misses.increment(misses);
        }
        for (int i = 0; i < runs; i++) {
            try {
                members.member(runMember[i]).read(runAddress[i], view(dst, runDst[i], runLen[i]));
            } catch (IOException e) {
                // A read error: the stripe pass reads the pages again and repairs (or fails) the member.
                if (fetches == null) {
                    fetches = new ArrayList<>();
                }
                addFetches(fetches, offset + (runDst[i] - base), dst, runDst[i], runLen[i]);
            }
        }
        return fetches;
    }

    /** Cuts array bytes {@code [offset, offset+len)} into per-page fetch requests that land at {@code dst[dstPos..]}. */
    private void addFetches(List<SyncRequest> out, long offset, ByteBuffer dst, int dstPos, int len) {
        int done = 0;
        while (done < len) {
            long pos = offset + done;
            long chunk = pos / chunkBytes;
            int inChunk = (int) (pos - chunk * chunkBytes);
            long row = chunk / dataDisks;
            int dataIndex = (int) (chunk - row * dataDisks);
            int column = inChunk / PAGE;
            int pageOffset = inChunk - column * PAGE;
            int n = Math.min(len - done, PAGE - pageOffset);
            out.add(SyncRequest.fetch(row * columnsPerChunk + column, geometry.dataMember(row, dataIndex), pageOffset, n,
                    dst, dstPos + done));
            done += n;
        }
    }
}
