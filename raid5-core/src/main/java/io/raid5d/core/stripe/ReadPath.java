package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.geometry.Geometry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Array reads: pages an up-to-date head holds are copied (cache hits), the rest read straight
 * from the data members through their queues, adjacent pages in one request, every member at
 * once; pages of a lost member, or ones whose read failed, become {@link SyncRequest#FETCH}
 * passes through the cache.
 */
final class ReadPath {

    private final StripeCache cache;
    private final MemberQueues queues;
    /** Reads at least this long are streaming: on a degraded array they read whole stripes through the cache. */
    static final int STREAMING_READ = 64 << 10;
    private final MemberIo io;
    private final MemberSet members;
    private final Geometry geometry;
    private final StripeMetrics metrics;
    private final RequestAdmission admission;

    ReadPath(StripeCache cache, MemberIo io, MemberQueues queues, MemberSet members, StripeMetrics metrics, RequestAdmission admission) {
        this.cache = cache;
        this.queues = queues;
        this.io = io;
        this.members = members;
        this.geometry = members.geometry();
        this.metrics = metrics;
        this.admission = admission;
    }

    /**
     * Reads array bytes into {@code dst} (position to limit; the caller's buffer is not moved).
     * On an I/O thread (not the caller's: a Netty event loop's time is the socket's), cache hits
     * are copied under the lock; the rest is queued on the members, one request per run of
     * adjacent pages on a member, and the runs of idle members are read right there; pages of a
     * lost member are fetched through the cache meanwhile.
     */
    CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        io.submit(new MemberIo.Task() {
            @Override
            public void run() {
                readHere(offset, dst.duplicate(), f);
            }

            @Override
            public void done(Throwable error) {
                if (error != null) {
                    RequestCompletion.complete(f, error);
                }
            }
        });
        return f;
    }

    /** On an I/O thread: plans the read and issues the idle members' runs here (no further hand-off on fast members). */
    private void readHere(long offset, ByteBuffer view, CompletableFuture<Void> f) {
        Plan plan = plan(offset, view);
        if (plan.runs == 0 && plan.fetches == null) {
            RequestCompletion.complete(f, null);
            return;
        }
        ArrayRead read = new ArrayRead(f, offset, view, plan.runs + (plan.fetches == null ? 0 : plan.fetches.size()));
        if (plan.fetches != null) {
            read.fetch(plan.fetches);
        }
        MemberQueues.Group group = queues.group();
        for (int i = 0; i < plan.runs; i++) {
            int dstPos = plan.runDst[i];
            int len = plan.runLen[i];
            group.read(plan.runMember[i], plan.runAddress[i], view(view, dstPos, len), e -> read.runDone(dstPos, len, e));
        }
        group.submitHere();
    }

    /** What one array read needs: member runs (address, member, where in dst, length) and fetches through the cache. */
    private static final class Plan {
        long[] runAddress = new long[4];
        int[] runMember = new int[4];
        int[] runDst = new int[4];
        int[] runLen = new int[4];
        int runs;
        List<SyncRequest> fetches; // pages that must come through the cache (lost member)

        void add(int member, long address, int dstPos, int n) {
            int last = runs - 1;
            if (last >= 0 && runMember[last] == member && runAddress[last] + runLen[last] == address
                    && runDst[last] + runLen[last] == dstPos) {
                runLen[last] += n;
                return;
            }
            if (runs == runAddress.length) {
                runAddress = Arrays.copyOf(runAddress, runs * 2);
                runMember = Arrays.copyOf(runMember, runs * 2);
                runDst = Arrays.copyOf(runDst, runs * 2);
                runLen = Arrays.copyOf(runLen, runs * 2);
            }
            runAddress[runs] = address;
            runMember[runs] = member;
            runDst[runs] = dstPos;
            runLen[runs] = n;
            runs++;
        }
    }

    /** One array read in flight: its member runs and fetches; the last to end completes it (any thread). */
    private final class ArrayRead {
        private final CompletableFuture<Void> future;
        private final long offset;
        private final ByteBuffer dst;
        private final int base;
        private final AtomicInteger left;
        private final AtomicReference<Throwable> error = new AtomicReference<>();

        ArrayRead(CompletableFuture<Void> future, long offset, ByteBuffer dst, int parts) {
            this.future = future;
            this.offset = offset;
            this.dst = dst;
            this.base = dst.position();
            this.left = new AtomicInteger(parts);
        }

        void runDone(int dstPos, int len, Throwable e) {
            if (e instanceof MemberQueues.NotIssued) {
                error.compareAndSet(null, e.getCause());
            } else if (e != null) {
                // A read error: the stripe pass reads the pages again and repairs (or fails) the member.
                List<SyncRequest> again = new ArrayList<>();
                addFetches(again, offset + (dstPos - base), dst, dstPos, len);
                left.addAndGet(again.size());
                fetch(again);
            }
            partDone();
        }

        void fetch(List<SyncRequest> fetches) {
            for (SyncRequest s : fetches) {
                admission.submit(s);
                s.future.whenComplete((v, e) -> {
                    if (e != null) {
                        error.compareAndSet(null, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                    }
                    partDone();
                });
            }
        }

        private void partDone() {
            if (left.decrementAndGet() == 0) {
                RequestCompletion.complete(future, error.get());
            }
        }
    }

    /**
     * Under the lock: pages an up-to-date head holds are copied (so the head cannot be recycled
     * meanwhile); the rest become member runs, or fetches for a lost member. A head's page is up
     * to date only when it equals the member or holds newer, not yet acknowledged data, so either
     * source returns every acknowledged write.
     */
    private Plan plan(long offset, ByteBuffer dst) {
        Plan plan = new Plan();
        int length = dst.remaining();
        int base = dst.position();
        long hits = 0;
        long misses = 0;
        try (StripeCache.Locked locked = cache.locked()) {
            // only a streaming read's surviving pages go through the cache with the lost ones: a
            // small random read of a surviving page reads just it (md's chunk-aligned bypass)
            int lost = length >= STREAMING_READ ? members.lostRole() : -1;
            int done = 0;
            while (done < length) {
                PageCursor at = cache.cursor.at(offset + done);
                int pageOffset = at.pageOffset;
                int n = at.bytesInPage(length - done);
                int member = at.member;
                long key = at.key;
                StripeHead sh = cache.lookup(key);
                if (sh != null && sh.devs[member].uptodate) {
                    dst.put(base + done, sh.devs[member].page, pageOffset, n);
                    hits++;
                } else if (!members.readable(member, (key + 1) * StripeEngine.PAGE_SECTORS)
                        || lost >= 0 && lost != geometry.parityDisk(at.row)
                        && !members.readable(lost, (key + 1) * StripeEngine.PAGE_SECTORS)) {
                    // a lost page, or (streaming) any page of a stripe whose lost page holds data:
                    // through the cache, so the pages read for one request are there when a
                    // neighbouring request reconstructs the lost page, and each survivor's page is
                    // read once; ordered with writes to the stripe
                    if (plan.fetches == null) {
                        plan.fetches = new ArrayList<>();
                    }
                    plan.fetches.add(SyncRequest.fetch(key, member, pageOffset, n, dst, base + done));
                    misses++;
                } else {
                    plan.add(member, members.rowAddress(member, at.row) + at.inChunk, base + done, n);
                    misses++;
                }
                done += n;
            }
        }
        if (hits > 0) {
            metrics.hits.increment(hits);
        }
        if (misses > 0) {
            metrics.misses.increment(misses);
        }
        return plan;
    }

    /** Cuts array bytes {@code [offset, offset+len)} into per-page fetch requests that land at {@code dst[dstPos..]}. */
    private void addFetches(List<SyncRequest> out, long offset, ByteBuffer dst, int dstPos, int len) {
        PageCursor at = new PageCursor(geometry); // outside the lock: not the cache's cursor
        int done = 0;
        while (done < len) {
            at.at(offset + done);
            int n = at.bytesInPage(len - done);
            out.add(SyncRequest.fetch(at.key, at.member, at.pageOffset, n, dst, dstPos + done));
            done += n;
        }
    }

    private static ByteBuffer view(ByteBuffer base, int pos, int len) {
        return base.duplicate().limit(pos + len).position(pos).slice();
    }
}
