package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;

/**
 * Completes client requests: a write when its last piece is done (after syncing every member
 * for FUA), FLUSH's member syncs, and the count of open requests that {@code close()} drains.
 * Futures are completed outside the engine lock.
 */
final class RequestCompletion {
    private final StripeCache cache;
    private final MemberIo io;
    private final MemberSet members;
    private final MemberFaults faults;
    private final int raidDisks;
    final Condition drained; // of the engine lock; close(): no open requests
    private final AtomicInteger openRequests = new AtomicInteger(); // writes, trims, syncs not yet completed

    RequestCompletion(StripeCache cache, MemberIo io, MemberSet members, MemberFaults faults) {
        this.cache = cache;
        this.io = io;
        this.members = members;
        this.faults = faults;
        this.raidDisks = members.geometry().raidDisks();
        this.drained = cache.newCondition();
    }

    void opened() {
        openRequests.incrementAndGet();
    }

    int openRequests() {
        return openRequests.get();
    }

    void pieceDone(WriteRequest r, Throwable error) {
        if (error != null) {
            r.error = error;
        }
        if (r.remaining.decrementAndGet() == 0) {
            finishWrite(r);
        }
    }

    void finishWrite(WriteRequest r) {
        Throwable e = r.error;
        if (e == null && r.fua) {
            syncMembers(r.future);
            requestDone();
            return;
        }
        complete(r.future, e);
        requestDone();
    }

    void requestDone() {
        if (openRequests.decrementAndGet() == 0 && cache.draining) {
            try (StripeCache.Locked locked = cache.locked()) {
                drained.signalAll();
            }
        }
    }

    /** fdatasync of every writable member, then {@code f}; a member whose sync fails is failed. */
    void syncMembers(CompletableFuture<Void> f) {
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
                        faults.failMember(m, e); // its writes may be lost: it is faulty, the others hold the data
                    }
                }
                if (members.failed()) {
                    throw faults.arrayFailed();
                }
                if (members.degraded()) {
                    faults.awaitFailuresRecorded();
                }
            }

            @Override
            public void done(Throwable error) {
                complete(f, error);
            }
        });
    }

    static void complete(CompletableFuture<Void> f, Throwable error) {
        if (error == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(error);
        }
    }
}
