package io.raid5d.core.stripe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Admission and back-pressure: requests (writes, trims, syncs) attach to stripe heads; one that
 * finds no free head waits in arrival order (at most {@value #MAX_WAITING}) with what it could
 * attach already attached, and releases admit it. Also resizes the cache at run time (md's
 * stripe_cache_size). State is the {@link StripeCache}'s, under its lock.
 */
final class RequestAdmission {
    private static final int MAX_WAITING = 65536;
    private static final int PAGE = StripeEngine.PAGE;

    private final String name;
    private final StripeCache cache;
    private final RequestCompletion completion;
    private final UnplugPolicy unplug;
    private final StripeMetrics metrics;
    private final ByteBuffer zeroPage = ByteBuffer.allocateDirect(2 * PAGE).alignedSlice(PAGE).limit(PAGE).slice().asReadOnlyBuffer(); // what a trim writes

    RequestAdmission(String name, StripeCache cache, RequestCompletion completion, UnplugPolicy unplug,
                     StripeMetrics metrics) {
        this.name = name;
        this.cache = cache;
        this.completion = completion;
        this.unplug = unplug;
        this.metrics = metrics;
    }

    /** Attaches {@code r} now, or queues it. Any thread; never waits for a head. */
    void submit(Request r) {
        boolean attached = false;
        try (StripeCache.Locked locked = cache.locked()) {
            if (cache.stopping) {
                fail(r, new IOException("array " + name + " is stopping"));
                return;
            }
            if (cache.waitingRequests() >= MAX_WAITING) {
                fail(r, new RejectedExecutionException("array " + name + " has too many requests waiting for stripes"));
                return;
            }
            completion.opened();
            if (!cache.requestsWaiting()) {
                attached = r.attach(this);
            }
            if (!attached) {
                cache.enqueueWaiting(r);
                metrics.waits.increment();
                unplug.unstick();
            }
        }
        if (attached && r instanceof WriteRequest w) {
            completion.pieceDone(w, null); // the attach guard
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
            PageCursor at = cache.cursor.at(r.offset + r.attached);
            int pageOffset = at.pageOffset;
            int member = at.member;
            int n = at.bytesInPage(r.partRemaining());
            StripeHead sh = cache.getHead(at.key);
            if (sh == null) {
                return false;
            }
            Piece p = r.bases == null ? new Piece(r, pageOffset, n, zeroPage, pageOffset)
                    : new Piece(r, pageOffset, n, r.bases[r.part], r.basePos[r.part] + r.partDone);
            r.remaining.incrementAndGet();
            sh.devs[member].queue(p);
            if (r.fua || cache.draining) {
                sh.markUrgent();
            }
            cache.wake(sh);
            r.advance(n);
        }
        return true;
    }

    /** Lock held. */
    boolean attachSync(SyncRequest s) {
        StripeHead sh = cache.getHead(s.key);
        if (sh == null) {
            return false;
        }
        if (sh.syncs == null) {
            sh.syncs = new ArrayDeque<>(2);
        }
        sh.syncs.add(s);
        cache.wake(sh);
        return true;
    }

    /** Lock held. */
    void admitWaiters() {
        while (cache.requestsWaiting()) {
            Request r = cache.firstWaiting();
            if (!r.attach(this)) {
                break;
            }
            cache.dequeueWaiting();
            if (r instanceof WriteRequest w && w.remaining.decrementAndGet() == 0) {
                cache.deferCompletion(w);
            }
        }
        if (cache.requestsWaiting()) {
            unplug.unstick();
        }
    }

    /** See {@link StripeEngine#setStripeCacheSize}: free heads go at once, busy ones as they finish. */
    void setStripeCacheSize(int size) {
        StripeEngine.checkCacheSize(size);
        int grow;
        try (StripeCache.Locked locked = cache.locked()) {
            grow = cache.shrinkTo(size);
        }
        if (grow <= 0) {
            return;
        }
        List<StripeHead> fresh = new ArrayList<>(grow); // allocated outside the lock
        for (int i = 0; i < grow; i++) {
            fresh.add(cache.newHead());
        }
        try (StripeCache.Locked locked = cache.locked()) {
            cache.addHeads(fresh);
            admitWaiters();
        }
    }
}
