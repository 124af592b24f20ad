package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.geometry.Geometry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Array reads: on an I/O thread, pages an up-to-date head holds are copied (cache hits), the
 * rest read straight from the data members, adjacent pages in one read; pages of a lost member,
 * or ones whose read failed, become {@link SyncRequest#FETCH} passes through the cache.
 */
final class ReadPath {

    private final StripeCache cache;
    private final MemberIo io;
    private final MemberSet members;
    private final Geometry geometry;
    private final StripeMetrics metrics;
    private final RequestAdmission admission;

    ReadPath(StripeCache cache, MemberIo io, MemberSet members, StripeMetrics metrics, RequestAdmission admission) {
        this.cache = cache;
        this.io = io;
        this.members = members;
        this.geometry = members.geometry();
        this.metrics = metrics;
        this.admission = admission;
    }

    /** Reads array bytes into {@code dst} (position to limit; the caller's buffer is not moved). */
    CompletableFuture<Void> read(long offset, ByteBuffer dst) {
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
                    RequestCompletion.complete(f, error);
                    return;
                }
                CompletableFuture<?>[] parts = new CompletableFuture<?>[fetches.size()];
                for (int i = 0; i < parts.length; i++) {
                    SyncRequest s = fetches.get(i);
                    admission.submit(s);
                    parts[i] = s.future;
                }
                CompletableFuture.allOf(parts).whenComplete((v, e) -> RequestCompletion.complete(f,
                        e instanceof CompletionException && e.getCause() != null ? e.getCause() : e));
            }
        });
        return f;
    }

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
        try (StripeCache.Locked locked = cache.locked()) {
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
                } else if (!members.readable(member, (key + 1) * StripeEngine.PAGE_SECTORS)) {
                    // lost member: reconstructed through the cache, ordered with writes to the stripe
                    if (fetches == null) {
                        fetches = new ArrayList<>();
                    }
                    fetches.add(SyncRequest.fetch(key, member, pageOffset, n, dst, base + done));
                    misses++;
                } else {
                    long address = members.rowAddress(member, at.row) + at.inChunk;
                    int last = runs - 1;
                    if (last >= 0 && runMember[last] == member && runAddress[last] + runLen[last] == address
                            && runDst[last] + runLen[last] == base + done) {
                        runLen[last] += n;
                    } else {
                        if (runs == runAddress.length) {
                            runAddress = Arrays.copyOf(runAddress, runs * 2);
                            runMember = Arrays.copyOf(runMember, runs * 2);
                            runDst = Arrays.copyOf(runDst, runs * 2);
                            runLen = Arrays.copyOf(runLen, runs * 2);
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
