package io.raid5d.core.intent;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The array's write-intent log, which can be replaced while writes run (md's
 * {@code mdadm --grow --bitmap}) without the engine noticing: it delegates to a current log and
 * keeps each older log alive until the writes it was told of have ended.
 *
 * <p>Steady state costs nothing: no allocation and no monitor on the engine's calls
 * ({@code startWrite}, {@code isBatchWritten}, {@code unplug}, {@code endWrite}); a switch is rare
 * and pays for itself. Batch numbers are tagged with the generation of the log that issued them
 * ({@code gen << 48 | seq}), so {@code isBatchWritten} and {@code endWrite(bmSeq, ...)} go to that
 * log by an array lookup. Each log counts its users (writes started and not ended, unplug and
 * resync calls in progress); a retired log is closed (a bitmap file's lock released) by whichever
 * thread drops its last user, by one compare-and-set of the count from 0 to {@code CLOSED}, after
 * which nobody can use it again.
 *
 * <p>Switch ({@link #switchTo}): the new log must already cover everything (all bits set and
 * durable) and its daemon, which clears idle bits, must not run yet: writes still outstanding in
 * an older log may lie under any bit. The caller's {@code whenPreviousDrained} (start the new
 * daemon) runs once every older log has closed.
 *
 * <p>Threads: any engine thread. {@code current}, {@code live} and the generation table are
 * published through volatile writes; the object's monitor guards only the switch, the resync
 * owners and the drained callbacks, and is never held while calling a log.
 */
public final class SwitchableWriteIntentLog implements WriteIntentLog {
    private static final Logger LOG = Logger.getLogger(SwitchableWriteIntentLog.class.getName());
    private static final int GEN_SHIFT = 48;
    private static final long SEQ_MASK = (1L << GEN_SHIFT) - 1;
    private static final int MAX_GENERATIONS = 1 << (63 - GEN_SHIFT);
    /** A closed log's user count: increments keep it negative, so no one acquires it again. */
    private static final long CLOSED = Long.MIN_VALUE;

    /** One log and who still uses it. */
    private static final class Entry {
        final WriteIntentLog log;
        final int gen;
        final AtomicLong users = new AtomicLong(); // writes, unplug and resync calls in progress; CLOSED when closed
        volatile boolean retired; // no longer current: closes when its users are gone

        Entry(WriteIntentLog log, int gen) {
            this.log = log;
            this.gen = gen;
        }

        /** Takes a use of this log, unless it is closed. */
        boolean acquire() {
            if (users.incrementAndGet() > 0) {
                return true;
            }
            users.decrementAndGet();
            return false;
        }
    }

    private volatile Entry current;
    private volatile Entry[] live; // current first, then retired logs not yet closed; replaced under this
    private final AtomicReferenceArray<Entry> byGen = new AtomicReferenceArray<>(MAX_GENERATIONS);
    private volatile Runnable listener; // fans out to engineListeners; set once
    private final java.util.List<Runnable> engineListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    // ---- guarded by this
    private int nextGen;
    private boolean degraded; // what setDegraded said last; a new log is told at the switch
    private java.util.function.BiConsumer<Integer, IOException> memberFailure; // given to every new log
    private final Map<ResyncRange, Entry> resyncOwners = new HashMap<>();
    private final List<Runnable> whenDrained = new ArrayList<>();

    public SwitchableWriteIntentLog(WriteIntentLog initial) {
        Entry e = new Entry(initial, nextGen++);
        byGen.set(e.gen, e);
        this.live = new Entry[] {e};
        this.current = e;
    }

    /** The log new writes go to. */
    public WriteIntentLog current() {
        return current.log;
    }

    /** Older logs still waiting for their writes to end. */
    public int drainingLogs() {
        return live.length - 1;
    }

    /** Blocks until every older log has drained and closed. */
    public synchronized void awaitDrained() throws InterruptedException {
        while (live.length > 1) {
            wait();
        }
    }

    /** The current log, with a use taken (the caller releases it). */
    private Entry acquireCurrent() {
        while (true) {
            Entry e = current;
            if (e.acquire()) {
                if (!e.retired) {
                    return e;
                }
                release(e); // switched meanwhile: the next one
            } else if (!e.retired) {
                throw new IllegalStateException("the write-intent log is closed");
            }
        }
    }

    private void release(Entry e) {
        if (e.users.decrementAndGet() == 0 && e.retired) {
            closeIfUnused(e);
        }
    }

    @Override
    public long startWrite(long memberSector, long sectors) {
        Entry e = acquireCurrent(); // the use is released by endWrite
        long seq;
        try {
            seq = e.log.startWrite(memberSector, sectors);
        } catch (RuntimeException ex) {
            release(e);
            throw ex;
        }
        if ((seq & ~SEQ_MASK) != 0) {
            throw new IllegalStateException("batch number " + seq + " does not fit " + GEN_SHIFT + " bits");
        }
        return ((long) e.gen << GEN_SHIFT) | seq;
    }

    @Override
    public boolean isBatchWritten(long bmSeq) {
        Entry e = byGen.get((int) (bmSeq >>> GEN_SHIFT));
        // A log that is gone had every write it counted ended: nothing can wait on it.
        return e == null || e.log.isBatchWritten(bmSeq & SEQ_MASK);
    }

    /**
     * Registers an engine's callback. A growing array has two engines on one log (the old
     * geometry's and the new one's), so every registered callback hears every batch; a closed
     * engine's callback finds no stripe waiting and does nothing.
     */
    @Override
    public synchronized void onBatchWritten(Runnable engineListener) {
        engineListeners.add(engineListener);
        if (listener == null) {
            listener = () -> engineListeners.forEach(Runnable::run);
            current.log.onBatchWritten(listener);
        }
    }

    @Override
    public void unplug() {
        for (Entry e : live) { // retired logs too: stripes may wait on their batches
            if (e.acquire()) {
                try {
                    e.log.unplug();
                } finally {
                    release(e);
                }
            }
        }
    }

    @Override
    public void endWrite(long bmSeq, long memberSector, long sectors, boolean success, boolean degraded) {
        Entry e = byGen.get((int) (bmSeq >>> GEN_SHIFT));
        if (e == null) {
            throw new IllegalStateException("endWrite(" + memberSector + ", " + sectors + ") for batch " + bmSeq
                    + " of a log that has no writes");
        }
        try {
            e.log.endWrite(memberSector, sectors, success, degraded);
        } finally {
            release(e); // the use its startWrite took
        }
    }

    /** Without the batch number the log cannot be told apart: only right while there is one log. */
    @Override
    public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
        Entry[] now = live;
        if (now.length != 1) {
            throw new IllegalStateException("endWrite without its batch number while a bitmap switch drains");
        }
        endWrite((long) now[0].gen << GEN_SHIFT, memberSector, sectors, success, degraded);
    }

    /**
     * Makes {@code next} the log new writes go to. {@code next} must cover every chunk already
     * (all bits set and durable), must not clear bits yet (its daemon not started), and must not
     * have been given to the engine before. {@code whenPreviousDrained} runs (on the thread that
     * closes the last older log, maybe this one) once every older log has closed: start {@code
     * next}'s daemon there.
     */
    public void switchTo(WriteIntentLog next, Runnable whenPreviousDrained) {
        Runnable engineListener = listener;
        if (engineListener != null) {
            next.onBatchWritten(engineListener);
        }
        boolean wasDegraded;
        java.util.function.BiConsumer<Integer, IOException> failureHandler;
        synchronized (this) {
            wasDegraded = degraded;
            failureHandler = memberFailure;
        }
        if (wasDegraded) {
            next.setDegraded(true);
        }
        if (failureHandler != null) {
            next.onMemberFailure(failureHandler);
        }
        Entry old;
        synchronized (this) {
            Entry entry = new Entry(next, freeGeneration());
            byGen.set(entry.gen, entry);
            Entry[] now = live;
            Entry[] grown = new Entry[now.length + 1];
            grown[0] = entry;
            System.arraycopy(now, 0, grown, 1, now.length);
            live = grown;
            old = current;
            current = entry; // new writes go to next from here on
            old.retired = true; // after current: a write that took old before this point keeps it open
            whenDrained.add(whenPreviousDrained);
        }
        closeIfUnused(old);
    }

    /** Makes the next log; may write (an internal bitmap remade in the old one's place). */
    @FunctionalInterface
    public interface LogBuilder {
        WriteIntentLog build() throws IOException;
    }

    /**
     * Replaces the log while nothing uses it (the array holds its requests and its writes have
     * ended; no older log drains): the current log is closed first (daemon stopped, pages
     * written), then {@code build} makes the next one, which may overwrite the old one's place
     * (grow --size remakes an internal bitmap for the bigger size where it was). The next log
     * covers what it must by itself (its bits set); its daemon is the caller's to start.
     *
     * @throws IllegalStateException when a write or an older log is still in flight (nothing changed)
     */
    public void replaceIdle(LogBuilder build) throws IOException {
        Entry old;
        synchronized (this) {
            if (live.length != 1) {
                throw new IllegalStateException("a previous write-intent log is still draining");
            }
            old = current;
            int spins = 0;
            while (!old.users.compareAndSet(0, CLOSED)) { // the unplug timer may hold it for a moment
                if (++spins > 1_000_000) {
                    throw new IllegalStateException("the write-intent log is still in use");
                }
                Thread.onSpinWait();
            }
        }
        old.log.close();
        WriteIntentLog next = build.build();
        Runnable engineListener = listener;
        if (engineListener != null) {
            next.onBatchWritten(engineListener);
        }
        synchronized (this) {
            if (degraded) {
                next.setDegraded(true);
            }
            if (memberFailure != null) {
                next.onMemberFailure(memberFailure);
            }
            Entry entry = new Entry(next, freeGeneration());
            byGen.set(entry.gen, entry);
            byGen.set(old.gen, null);
            live = new Entry[] {entry};
            current = entry;
            notifyAll();
        }
    }

    private int freeGeneration() {
        for (int i = 0; i < MAX_GENERATIONS; i++) {
            int gen = (nextGen + i) % MAX_GENERATIONS;
            if (byGen.get(gen) == null) {
                nextGen = gen + 1;
                return gen;
            }
        }
        throw new IllegalStateException("too many write-intent logs still draining");
    }

    /** Closes a retired log whose users are gone (exactly once: the count goes from 0 to CLOSED). */
    private void closeIfUnused(Entry e) {
        if (!e.retired || !e.users.compareAndSet(0, CLOSED)) {
            return;
        }
        try {
            e.log.close();
        } catch (IOException | RuntimeException ex) {
            LOG.log(Level.WARNING, "closing the previous write-intent log failed: " + ex.getMessage(), ex);
        }
        List<Runnable> run = List.of();
        synchronized (this) {
            byGen.set(e.gen, null);
            List<Entry> kept = new ArrayList<>();
            for (Entry x : live) {
                if (x != e) {
                    kept.add(x);
                }
            }
            live = kept.toArray(Entry[]::new);
            if (live.length == 1) {
                run = new ArrayList<>(whenDrained);
                whenDrained.clear();
            }
            notifyAll();
        }
        for (Runnable r : run) {
            try {
                r.run();
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "after the previous write-intent log drained: " + ex.getMessage(), ex);
            }
        }
    }

    // ---- degraded mode: every live log must know (an old log's bits are still a re-add's source
    // while it drains); the rest is the current log's, which covers everything an old one did.

    @Override
    public void setDegraded(boolean nowDegraded) {
        synchronized (this) {
            degraded = nowDegraded;
        }
        for (Entry e : live) {
            if (e.acquire()) {
                try {
                    e.log.setDegraded(nowDegraded);
                } finally {
                    release(e);
                }
            }
        }
    }

    @Override
    public void onMemberFailure(java.util.function.BiConsumer<Integer, IOException> handler) {
        synchronized (this) {
            memberFailure = handler;
        }
        current.log.onMemberFailure(handler);
    }

    @Override
    public long nextDirtySector(long fromMemberSector) {
        return current().nextDirtySector(fromMemberSector);
    }

    @Override
    public long eventsCleared() {
        return current().eventsCleared();
    }

    @Override
    public void memberAdded(int role, MemberDevice device,
                            Superblock superblock) throws IOException {
        current().memberAdded(role, device, superblock);
    }

    // ---- lifecycle: the current log answers -----------------------------------------------------

    @Override
    public void recordEvents(long events) throws IOException {
        current().recordEvents(events);
    }

    @Override
    public void flushForCleanStop() throws IOException {
        current().flushForCleanStop();
    }

    @Override
    public ResyncRange nextResync(long fromSector, long limitSector, long alignSectors) {
        Entry e = acquireCurrent(); // kept until endResync when a range is given
        ResyncRange r = null;
        try {
            r = e.log.nextResync(fromSector, limitSector, alignSectors);
        } finally {
            if (r != null) {
                synchronized (this) {
                    resyncOwners.put(r, e);
                }
            } else {
                release(e);
            }
        }
        return r;
    }

    @Override
    public void endResync(ResyncRange range, boolean aborted) {
        Entry e;
        synchronized (this) {
            e = resyncOwners.remove(range);
        }
        if (e == null) {
            current().endResync(range, aborted);
            return;
        }
        try {
            e.log.endResync(range, aborted);
        } finally {
            release(e);
        }
    }

    /** Closes the current log and any older one (the engine is stopped: nothing is in flight). */
    @Override
    public void close() throws IOException {
        List<Entry> all = new ArrayList<>();
        synchronized (this) {
            for (Entry e : live) {
                if (e.users.getAndSet(CLOSED) != CLOSED) {
                    all.add(e);
                }
                byGen.set(e.gen, null);
            }
            live = new Entry[] {current};
            whenDrained.clear();
            notifyAll();
        }
        IOException first = null;
        for (Entry e : all) {
            try {
                e.log.close();
            } catch (IOException ex) {
                if (first == null) {
                    first = ex;
                } else {
                    first.addSuppressed(ex);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
