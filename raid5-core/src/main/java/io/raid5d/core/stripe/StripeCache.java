package io.raid5d.core.stripe;

import io.raid5d.core.geometry.Geometry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stripe heads and the lists that say what each one waits for (md's stripe hash table and
 * handle, delayed, bitmap and inactive lists), the queue of requests waiting for a free head,
 * and the engine lock (md's {@code device_lock}) that guards all of them. Owns the head
 * lifecycle: {@link #getHead} (reuse by key, or recycle the least recently used free head),
 * {@link #wake}, {@link #release}, {@link #destroy}.
 *
 * <p>Lock rules: the engine lock guards the table, every list, the wait queue, the head state and
 * the pending-piece queues. It is private: the one way in is {@link #locked()}, a scope for
 * try-with-resources whose close updates the gauges, unlocks, and completes the write requests
 * that finished meanwhile (they go to {@link #deferred}), outside the lock. It is held only for
 * bookkeeping and for copying cache hits out of pages; never across member I/O, parity
 * computation, bitmap calls, or future completion. Callers' threads (Netty event loops) only
 * take it briefly and never wait for a free head: a request that finds none is queued.
 */
final class StripeCache {
    private final ReentrantLock lock = new ReentrantLock();
    private final Locked scope = new Locked(); // one per cache: entering allocates nothing
    final Condition work = lock.newCondition(); // workers: handle list or unplug
    final int columnsPerChunk;
    final PageCursor cursor; // array offset -> head and page; guarded by the engine lock
    private final Geometry geometry;
    private final int raidDisks;
    // --- guarded by lock; other classes reach them only through the methods below ---
    private final StripeTable table;
    private final StripeList inactive = new StripeList("inactive");
    private final StripeList handle = new StripeList("handle");
    private final StripeList delayed = new StripeList("delayed");
    private final StripeList bitmap = new StripeList("bitmap");
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private final ArrayList<WriteRequest> deferred = new ArrayList<>(); // finish after unlock
    private int totalHeads;
    private int targetHeads;
    boolean draining; // close() began: nothing is delayed any more
    boolean stopping; // close() is stopping the workers: new requests fail
    // --- set once by the engine before any of its threads starts (Thread.start publishes them) ---
    private RequestAdmission admission;
    private RequestCompletion completion;
    // gauge snapshots (read by metrics without the lock; plain ints are never torn)
    volatile int cacheSize;
    volatile int activeCount;
    volatile int inactiveCount;
    volatile int handleCount;
    volatile int delayedCount;
    volatile int bitmapCount;
    volatile int waitingCount;

    StripeCache(Geometry geometry, int stripeCacheSize) {
        this.geometry = geometry;
        this.raidDisks = geometry.raidDisks();
        this.columnsPerChunk = geometry.chunkBytes() / StripeEngine.PAGE;
        this.cursor = new PageCursor(geometry);
        this.table = new StripeTable(stripeCacheSize);
        this.targetHeads = stripeCacheSize;
        for (int i = 0; i < stripeCacheSize; i++) {
            inactive.addLast(newHead());
            totalHeads++;
        }
        updateGauges();
    }

    void connect(RequestAdmission admission, RequestCompletion completion) {
        this.admission = admission;
        this.completion = completion;
    }

    StripeHead newHead() {
        return new StripeHead(raidDisks, StripeEngine.PAGE);
    }

    /** The head for stripe {@code key}: cached, or the least recently used free one. Null when all are busy. Lock held. */
    StripeHead getHead(long key) {
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
        sh.resetForReuse();
        table.insert(sh);
        return sh;
    }

    /** New work on {@code sh}: if nobody owns it and it is on no list, it goes to the handle list. Lock held. */
    void wake(StripeHead sh) {
        if (sh.active || sh.phase == StripeHead.IO) {
            return;
        }
        if (sh.on == null) {
            handle.addLast(sh);
            work.signal();
        } else if (sh.on == delayed && (sh.urgent || sh.fullyOverwritten(StripeEngine.FULL_MASK))) {
            delayed.remove(sh);
            sh.releaseForPreReads();
            handle.addLast(sh);
            work.signal();
        }
    }

    /** Ready to work: onto the handle list, and a worker is woken. Lock held, head on no list. */
    void toHandle(StripeHead sh) {
        handle.addLast(sh);
        work.signal();
    }

    /** A head whose owner is done with it: free if idle, else back to the handle list. Lock held, head on no list. */
    void release(StripeHead sh) {
        sh.disown();
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
            admission.admitWaiters();
        }
    }

    /** Removes a head for good (a cache shrink). Lock held. */
    void destroy(StripeHead sh) {
        if (sh.key >= 0) {
            table.remove(sh);
        }
        sh.key = -1;
        sh.dead = true;
        totalHeads--;
    }

    /** Releases every delayed stripe. Lock held. */
    void activateDelayed() {
        activateDelayed(Long.MAX_VALUE);
    }

    /** Releases delayed stripes parked at or before unplug generation {@code upTo} (the list is in park order). Lock held. */
    void activateDelayed(long upTo) {
        StripeHead h;
        while ((h = delayed.peekFirst()) != null && h.delayedAt <= upTo) {
            delayed.remove(h);
            h.releaseForPreReads();
            handle.addLast(h);
        }
        work.signalAll();
    }

    /** A locked scope of the engine lock: {@code try (StripeCache.Locked locked = cache.locked()) { ... }}. */
    final class Locked implements AutoCloseable {
        private Locked() {
        }

        /** Updates the gauges, unlocks and, once the lock is free, completes finished writes. */
        @Override
        public void close() {
            updateGauges();
            unlockAndFinish();
        }
    }

    /** Takes the engine lock (waiting for it); close the returned scope to leave. */
    Locked locked() {
        lock.lock();
        return scope;
    }

    /** A condition of the engine lock (awaited inside a locked scope). */
    Condition newCondition() {
        return lock.newCondition();
    }

    /** Unlocks, then completes the write requests that finished while the lock was held. */
    private void unlockAndFinish() {
        if (deferred.isEmpty() || lock.getHoldCount() > 1) {
            lock.unlock(); // nested scope: the outermost one completes them
            return;
        }
        WriteRequest[] done = deferred.toArray(new WriteRequest[0]);
        deferred.clear();
        lock.unlock();
        for (WriteRequest w : done) {
            completion.finishWrite(w);
        }
    }

    /** Lock held. */
    // ---- what the stages ask of the lists (engine lock held) ----------------------------------

    /** The head with {@code key} if the cache has one (cached pages or in use), else null. */
    StripeHead lookup(long key) {
        return table.get(key);
    }

    /** Waiting on the handle or delayed list (not owned, not parked on the bitmap): a batch may claim it. */
    boolean claimable(StripeHead h) {
        return h.on == handle || h.on == delayed;
    }

    /** The next head for a worker, or null. */
    StripeHead takeHandle() {
        return handle.pollFirst();
    }

    boolean handleEmpty() {
        return handle.isEmpty();
    }

    /** Parks an owned head until an unplug releases it (it needs pre-reads). Returns how many are delayed. */
    int parkDelayed(StripeHead sh) {
        delayed.addLast(sh);
        return delayed.size();
    }

    /** Parks an owned head until its bitmap batch is durable. */
    void parkOnBitmap(StripeHead sh) {
        bitmap.addLast(sh);
    }

    boolean bitmapWaiting() {
        return !bitmap.isEmpty();
    }

    /** Heads parked (delayed or on the bitmap list). */
    int parked() {
        return delayed.size() + bitmap.size();
    }

    /** Heads in use (not free on the inactive list). */
    int inUse() {
        return totalHeads - inactive.size();
    }

    /** The stripe cache size asked for (md's stripe_cache_size). */
    int targetHeads() {
        return targetHeads;
    }

    /** Moves heads on the bitmap list whose batch is durable to the handle list. */
    void releaseSettled(java.util.function.LongPredicate batchWritten) {
        StripeHead h = bitmap.peekFirst();
        while (h != null) {
            StripeHead next = h.next;
            if (batchWritten.test(h.bmSeq)) {
                bitmap.remove(h);
                toHandle(h);
            }
            h = next;
        }
    }

    // ---- the wait queue of requests that found no free head (RequestAdmission's) ----

    boolean requestsWaiting() {
        return !waiting.isEmpty();
    }

    int waitingRequests() {
        return waiting.size();
    }

    void enqueueWaiting(Request r) {
        waiting.addLast(r);
    }

    Request firstWaiting() {
        return waiting.peekFirst();
    }

    void dequeueWaiting() {
        waiting.pollFirst();
    }

    /** A write finished while the lock is held: completed when the outermost scope closes. */
    void deferCompletion(WriteRequest w) {
        deferred.add(w);
    }

    // ---- size (md's stripe_cache_size at run time) ----

    /**
     * Sets the target size; free heads beyond it go at once (busy ones as they are released).
     * Returns how many heads must be made to reach it.
     */
    int shrinkTo(int size) {
        targetHeads = size;
        StripeHead h;
        while (totalHeads > targetHeads && (h = inactive.pollFirst()) != null) {
            destroy(h);
        }
        return targetHeads - totalHeads;
    }

    /** Adds heads made outside the lock, up to the target size. */
    void addHeads(java.util.List<StripeHead> fresh) {
        table.resizeFor(targetHeads);
        for (StripeHead h : fresh) {
            if (totalHeads < targetHeads) {
                totalHeads++;
                inactive.addFirst(h);
            }
        }
    }

    void updateGauges() {
        cacheSize = targetHeads;
        inactiveCount = inactive.size();
        activeCount = totalHeads - inactive.size();
        handleCount = handle.size();
        delayedCount = delayed.size();
        bitmapCount = bitmap.size();
        waitingCount = waiting.size();
    }
}
