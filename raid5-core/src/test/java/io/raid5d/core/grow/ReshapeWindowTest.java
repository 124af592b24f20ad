package io.raid5d.core.grow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The reshape window's routing, as md's make_request decides: below the recorded position the
 * new geometry, at or above the window the old one, inside it a wait until a record (or the
 * end); split at an empty window's boundary; a step waits for old-geometry requests on its range.
 */
class ReshapeWindowTest {
    /** One issued part: which geometry, which range; completed by the test. */
    record Part(boolean grown, long from, long to, CompletableFuture<Void> done) {}

    static final class Recorder {
        final List<Part> parts = new ArrayList<>();

        synchronized ReshapeWindow.Op op(long start, long end) {
            return new ReshapeWindow.Op(start, end) {
                @Override
                protected CompletableFuture<Void> issue(boolean grown, long from, long to) {
                    Part p = new Part(grown, from, to, new CompletableFuture<>());
                    synchronized (Recorder.this) {
                        parts.add(p);
                    }
                    return p.done;
                }
            };
        }

        synchronized List<Part> take() {
            List<Part> out = new ArrayList<>(parts);
            parts.clear();
            return out;
        }
    }

    @Test
    void routesByTheRecordedPositionAndTheWindow() throws Exception {
        Recorder r = new Recorder();
        ReshapeWindow w = new ReshapeWindow(1000);
        w.beginStep(1500); // copying [1000, 1500)
        ReshapeWindow.Op below = r.op(0, 1000);
        ReshapeWindow.Op above = r.op(1500, 2000);
        ReshapeWindow.Op inside = r.op(1200, 1300);
        ReshapeWindow.Op across = r.op(900, 1100);
        for (ReshapeWindow.Op op : List.of(below, above, inside, across)) {
            w.submit(op);
        }
        List<Part> issued = r.take();
        assertEquals(List.of(true, false), issued.stream().map(Part::grown).toList(), "below -> new, above -> old");
        assertEquals(2, w.waitingCount(), "inside and across wait");
        issued.forEach(p -> p.done.complete(null));
        assertTrue(below.future().isDone() && above.future().isDone());

        w.endStep(1500);
        assertTrue(w.waitingBelow(1500));
        w.recorded(1500);
        List<Part> released = r.take();
        assertEquals(2, released.size());
        assertTrue(released.stream().allMatch(Part::grown), "after the record both are in the new geometry");
        assertFalse(inside.future().isDone(), "completes only with its part");
        released.forEach(p -> p.done.complete(null));
        assertTrue(inside.future().isDone() && across.future().isDone());
    }

    @Test
    void anEmptyWindowSplitsARequestAtTheBoundary() {
        Recorder r = new Recorder();
        ReshapeWindow w = new ReshapeWindow(1024);
        ReshapeWindow.Op op = r.op(512, 2048);
        w.submit(op);
        List<Part> parts = r.take();
        assertEquals(List.of(new Part(true, 512, 1024, parts.get(0).done()), new Part(false, 1024, 2048, parts.get(1).done())),
                parts);
        parts.get(0).done.complete(null);
        assertFalse(op.future().isDone());
        parts.get(1).done.completeExceptionally(new java.io.IOException("member gone"));
        assertTrue(op.future().isCompletedExceptionally(), "a failed part fails the request");
    }

    @Test
    void aStepWaitsForOldRequestsInFlightOnItsRange() throws Exception {
        Recorder r = new Recorder();
        ReshapeWindow w = new ReshapeWindow(0);
        w.submit(r.op(100, 200)); // in flight in the old geometry
        Part inFlight = r.take().get(0);
        assertFalse(inFlight.grown());
        CountDownLatch begun = new CountDownLatch(1);
        Thread sweep = new Thread(() -> {
            try {
                w.beginStep(500);
                begun.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sweep.start();
        assertFalse(begun.await(200, TimeUnit.MILLISECONDS), "the step waits for the write on its range");
        w.submit(r.op(300, 400));
        assertEquals(0, r.take().size(), "a new request inside the step waits");
        inFlight.done.complete(null);
        assertTrue(begun.await(5, TimeUnit.SECONDS), "and begins once it completed");
        sweep.join();
    }

    @Test
    void holdKeepsEverythingUntilReleasedThenTheOldGeometryServes() {
        Recorder r = new Recorder();
        ReshapeWindow w = new ReshapeWindow(0);
        w.hold();
        w.submit(r.op(0, 4096));
        w.submit(r.op(8192, 16384));
        assertEquals(0, r.take().size());
        w.release();
        List<Part> parts = r.take();
        assertEquals(2, parts.size());
        assertTrue(parts.stream().noneMatch(Part::grown), "nothing is copied yet: all old");
    }

    @Test
    void finishSendsEverythingToTheNewGeometryOnceTheOldIsIdle() throws Exception {
        Recorder r = new Recorder();
        ReshapeWindow w = new ReshapeWindow(0);
        w.submit(r.op(4096, 8192));
        Part old = r.take().get(0);
        w.beginStep(4096); // below the old request: no wait
        w.endStep(4096);
        w.submit(r.op(0, 512)); // waits for a record
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread finisher = new Thread(() -> {
            try {
                w.finish();
            } catch (Throwable e) {
                err.set(e);
            }
        });
        finisher.start();
        finisher.join(200);
        assertTrue(finisher.isAlive(), "finish waits for the old-geometry request");
        old.done.complete(null);
        finisher.join(5000);
        assertFalse(finisher.isAlive());
        List<Part> parts = r.take();
        assertEquals(1, parts.size());
        assertTrue(parts.get(0).grown());
        w.submit(r.op(1 << 30, (1 << 30) + 512));
        assertTrue(r.take().get(0).grown(), "after the end, everything is new");
    }

    /** Many threads submit while a sweep steps and records: every request is issued exactly once, whole, in one geometry per part. */
    @RepeatedTest(5)
    void concurrentRequestsAreEachIssuedOnceAcrossASweep() throws Exception {
        long unit = 4096;
        long end = unit * 200;
        ReshapeWindow w = new ReshapeWindow(0);
        AtomicInteger issuedBytes = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger submittedBytes = new AtomicInteger();
        AtomicReference<String> wrong = new AtomicReference<>();
        int threads = 6;
        int perThread = 300;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            Thread th = new Thread(() -> {
                java.util.Random rnd = new java.util.Random(seed);
                for (int i = 0; i < perThread; i++) {
                    long start = rnd.nextInt((int) (end / 512) - 16) * 512L;
                    long len = (1 + rnd.nextInt(16)) * 512L;
                    ReshapeWindow.Op op = new ReshapeWindow.Op(start, start + len) {
                        @Override
                        protected CompletableFuture<Void> issue(boolean grown, long from, long to) {
                            long safe = w.safe();
                            if (grown && to > safe) {
                                wrong.compareAndSet(null, "new-geometry part " + from + ".." + to + " above safe " + safe);
                            }
                            issuedBytes.addAndGet((int) (to - from));
                            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(
                                    rnd.nextInt(200), TimeUnit.MICROSECONDS));
                        }
                    };
                    submittedBytes.addAndGet((int) len);
                    w.submit(op);
                    op.future().join();
                    completed.incrementAndGet();
                }
            });
            ts.add(th);
            th.start();
        }
        for (long p = 0; p < end; p += unit) {
            w.beginStep(p + unit);
            w.endStep(p + unit);
            if (w.waitingBelow(p + unit) || (p / unit) % 7 == 0) {
                w.recorded(p + unit);
            }
        }
        w.finish();
        for (Thread th : ts) {
            th.join(30_000);
            assertFalse(th.isAlive());
        }
        assertEquals(null, wrong.get());
        assertEquals(threads * perThread, completed.get());
        assertEquals(submittedBytes.get(), issuedBytes.get(), "every byte issued once");
    }
}
