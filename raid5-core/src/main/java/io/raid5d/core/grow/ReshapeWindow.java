package io.raid5d.core.grow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Which geometry serves a request while the array grows, as md's make_request decides by
 * reshape_progress and reshape_safe (docs/reshape-md-facts.md): array bytes below {@code safe}
 * (the reshape position recorded on the members) are read and written in the new geometry; at
 * or above the end of the window (the step being copied, or the steps done since the last
 * record) in the old geometry; a request touching the window waits. Waiting is what keeps an
 * acknowledged write: a write in the new geometry above the recorded position would be copied
 * over from the old one by the resume after a crash, and a write in the old geometry inside a
 * step being copied would be missed by it.
 *
 * <p>Steps wait for the old-geometry requests already in flight on their range, so a step
 * reads every write acknowledged before it. When nothing is being copied and everything copied
 * is recorded (the sweep paused, or stopping), the window is empty and a request across the
 * boundary is split there (the boundary is a whole stripe row: no sector is cut).
 *
 * <p>Lock: this object's monitor guards every field; held for bookkeeping only, never while a
 * request is issued or completed. Waiting requests are issued by whichever thread moves the
 * window (the sweep), outside the monitor.
 */
public final class ReshapeWindow {
    /** A request the window routes: its array byte range, and how to issue part of it in either geometry. */
    public abstract static class Op {
        final long start;
        final long end;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        protected Op(long start, long end) {
            this.start = start;
            this.end = end;
        }

        /** Issues array bytes {@code [from, to)} of this request in the new geometry ({@code grown}) or the old one. */
        protected abstract CompletableFuture<Void> issue(boolean grown, long from, long to);

        /** Completes when every part of the request has. */
        public final CompletableFuture<Void> future() {
            return done;
        }
    }

    private long safe; // recorded on the members: below it the new geometry holds the data
    private long progress; // copied below it
    private long stepEnd; // > progress while a step runs: [progress, stepEnd) is being copied
    private boolean finished; // the grow is over: everything is in the new geometry
    private final List<Op> waiting = new ArrayList<>();
    private final Set<Op> inOld = Collections.newSetFromMap(new IdentityHashMap<>()); // old-geometry requests in flight

    /** A grow at {@code position} bytes, recorded there (a start, or a resume). */
    public ReshapeWindow(long position) {
        this.safe = position;
        this.progress = position;
        this.stepEnd = position;
    }

    /** Routes {@code op}: issues it now in one geometry (or split at the boundary), or keeps it until the window moves. */
    public void submit(Op op) {
        long newEnd;
        long oldStart;
        synchronized (this) {
            long windowEnd = Math.max(progress, stepEnd);
            if (finished || op.end <= safe) {
                newEnd = op.end;
                oldStart = op.end;
            } else if (op.start >= windowEnd) {
                newEnd = op.start;
                oldStart = op.start;
            } else if (windowEnd == safe) {
                newEnd = safe; // empty window: split at the boundary
                oldStart = safe;
            } else {
                waiting.add(op);
                notifyAll(); // the sweep records sooner when someone waits
                return;
            }
            if (oldStart < op.end) {
                inOld.add(op);
            }
        }
        CompletableFuture<Void> grown = newEnd > op.start ? issueSafely(op, true, op.start, newEnd) : null;
        CompletableFuture<Void> old = oldStart < op.end ? issueSafely(op, false, Math.max(op.start, oldStart), op.end) : null;
        if (old != null) {
            old.whenComplete((v, e) -> {
                synchronized (this) {
                    inOld.remove(op);
                    notifyAll();
                }
            });
        }
        CompletableFuture<Void> all = grown == null ? old : old == null ? grown : CompletableFuture.allOf(grown, old);
        all.whenComplete((v, e) -> {
            if (e != null) {
                op.done.completeExceptionally(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            } else {
                op.done.complete(null);
            }
        });
    }

    private static CompletableFuture<Void> issueSafely(Op op, boolean grown, long from, long to) {
        try {
            return op.issue(grown, from, to);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The sweep is about to copy up to {@code to} (from the end of what it copied or is copying):
     * new requests touching the window wait, and this returns once no old-geometry request in
     * flight overlaps the part not yet copied.
     */
    public void beginStep(long to) throws InterruptedException {
        synchronized (this) {
            long from = Math.max(progress, stepEnd);
            stepEnd = to;
            while (overlapsOld(Math.min(from, progress), to)) {
                wait();
            }
        }
    }

    private boolean overlapsOld(long from, long to) {
        for (Op op : inOld) {
            if (op.start < to && op.end > from) {
                return true;
            }
        }
        return false;
    }

    /** Everything below {@code at} is copied (written, not yet durable or recorded). */
    public synchronized void endStep(long at) {
        progress = at;
    }

    /** The reshape position {@code position} is recorded on the members: requests waiting below it go ahead. */
    public void recorded(long position) {
        List<Op> go;
        synchronized (this) {
            safe = position;
            go = new ArrayList<>(waiting);
            waiting.clear();
        }
        go.forEach(this::submit); // in arrival order; those still in the window wait again
    }

    /** Every request from now on waits (a grow's start, while the members learn of it). */
    public synchronized void hold() {
        stepEnd = Long.MAX_VALUE;
    }

    /** Ends a {@link #hold()}: the waiting requests go ahead. */
    public void release() {
        synchronized (this) {
            stepEnd = progress;
        }
        recorded(safe());
    }

    /**
     * The sweep stopped without recording what it copied (an error): requests are served from
     * the copy (the new geometry below the progress) rather than wait for a record that may not
     * come. A crash before the next record would repeat the copy over writes made there since.
     */
    public void pause() {
        long at;
        synchronized (this) {
            stepEnd = progress;
            at = progress;
        }
        recorded(at);
    }

    /** The grow is over: every request goes to the new geometry; returns once none is in flight in the old one. */
    public void finish() throws InterruptedException {
        List<Op> go;
        synchronized (this) {
            finished = true;
            safe = Long.MAX_VALUE;
            go = new ArrayList<>(waiting);
            waiting.clear();
        }
        go.forEach(this::submit);
        synchronized (this) {
            while (!inOld.isEmpty()) {
                wait();
            }
        }
    }

    /** Some request waits for a record at or below {@code position} (it lies below it, in copied steps). */
    public synchronized boolean waitingBelow(long position) {
        for (Op op : waiting) {
            if (op.start < position) {
                return true;
            }
        }
        return false;
    }

    /** Waits up to {@code millis} or until a request starts waiting (the sweep's throttle sleeps here). */
    public synchronized void sleepUnlessWaited(long millis) throws InterruptedException {
        if (waiting.isEmpty() && millis > 0) {
            wait(millis);
        }
    }

    public synchronized long safe() {
        return safe;
    }

    public synchronized long progress() {
        return progress;
    }

    /** Requests waiting for the window to move (tests, status). */
    public synchronized int waitingCount() {
        return waiting.size();
    }
}
