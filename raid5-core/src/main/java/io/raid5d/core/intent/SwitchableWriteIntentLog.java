package io.raid5d.core.intent;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The array's write-intent log, which can be replaced while writes run (md's
 * {@code mdadm --grow --bitmap}) without the engine noticing: it delegates to a current log and
 * keeps each older log alive until the writes it was told of have ended.
 *
 * <p>Routing: {@code startWrite} goes to the current log; the matching {@code endWrite} (found
 * by its range, oldest first) goes to every log that counts that write. Batch numbers are
 * tagged with the generation of the log that issued them ({@code gen << 48 | seq}), so
 * {@code isBatchWritten} asks the log the number came from. {@code unplug} and the batch
 * listener reach every live log, so stripes still waiting on an old log's batch get released.
 *
 * <p>Switch ({@link #switchTo}): the new log must already cover everything (all bits set and
 * durable). Every write still outstanding at that moment is also counted in the new log (a
 * "shadow" startWrite), so the new log's daemon cannot clear a bit while an old write under it
 * is in flight. An old log is closed (a bitmap file's lock released) on the thread that ends its
 * last write.
 *
 * <p>Threads: any engine thread; the monitor of this object guards the routing tables and is
 * never held while calling a log (a log's startWrite/endWrite/unplug may block).
 */
public final class SwitchableWriteIntentLog implements WriteIntentLog {
    private static final Logger LOG = Logger.getLogger(SwitchableWriteIntentLog.class.getName());
    private static final int GEN_SHIFT = 48;
    private static final long SEQ_MASK = (1L << GEN_SHIFT) - 1;
    private static final int MAX_GENERATIONS = 1 << (63 - GEN_SHIFT);

    /** One log and what it still has to see. */
    private static final class Entry {
        final WriteIntentLog log;
        final int gen;
        long outstanding; // startWrites (own and shadow) not yet ended; guarded by the switchable
        int callsInFlight; // unplug calls running in the log; guarded by the switchable
        boolean retired; // no longer current; guarded by the switchable
        boolean closed; // guarded by the switchable

        Entry(WriteIntentLog log, int gen) {
            this.log = log;
            this.gen = gen;
        }
    }

    /** One announced write: the logs that count it. */
    private static final class Write {
        final long sector;
        final long sectors;
        final List<Entry> logs = new ArrayList<>(2); // guarded by the switchable
        boolean ended; // guarded by the switchable

        Write(long sector, long sectors) {
            this.sector = sector;
            this.sectors = sectors;
        }
    }

    private record Key(long sector, long sectors) {
    }

    // ---- guarded by this
    private Entry current;
    private final Entry[] byGen = new Entry[MAX_GENERATIONS]; // live entries by generation (array: no boxing on isBatchWritten)
    private final List<Entry> retired = new ArrayList<>();
    private final Map<Key, ArrayDeque<Write>> writes = new HashMap<>();
    private final Map<ResyncRange, Entry> resyncOwners = new HashMap<>();
    private Runnable listener;
    private int nextGen;
    private boolean degraded; // what setDegraded said last; a new log is told at the switch
    private java.util.function.BiConsumer<Integer, IOException> memberFailure; // given to every new log

    public SwitchableWriteIntentLog(WriteIntentLog initial) {
        this.current = new Entry(initial, nextGen++);
        byGen[current.gen] = current;
    }

    /** The log new writes go to. */
    public synchronized WriteIntentLog current() {
        return current.log;
    }

    /** Older logs still waiting for their writes to end. */
    public synchronized int drainingLogs() {
        int n = 0;
        for (Entry e : retired) {
            if (!e.closed) {
                n++;
            }
        }
        return n;
    }

    /** Blocks until every older log has drained and closed. */
    public synchronized void awaitDrained() throws InterruptedException {
        while (drainingLogs() > 0) {
            wait();
        }
    }

    @Override
    public long startWrite(long memberSector, long sectors) {
        Entry e;
        Write w = new Write(memberSector, sectors);
        synchronized (this) {
            e = current;
            e.outstanding++;
            w.logs.add(e);
            writes.computeIfAbsent(new Key(memberSector, sectors), k -> new ArrayDeque<>(2)).addLast(w);
        }
        long seq;
        try {
            seq = e.log.startWrite(memberSector, sectors);
        } catch (RuntimeException ex) {
            // Nothing was counted in e; a switch may have counted a shadow elsewhere: undo it.
            List<Entry> others = new ArrayList<>(1);
            List<Entry> toClose = new ArrayList<>(1);
            synchronized (this) {
                Key key = new Key(memberSector, sectors);
                ArrayDeque<Write> q = writes.get(key);
                if (q != null) {
                    q.remove(w);
                    if (q.isEmpty()) {
                        writes.remove(key);
                    }
                }
                w.ended = true;
                for (Entry each : w.logs) {
                    if (each != e) {
                        others.add(each);
                    }
                }
                e.outstanding--;
                collectDrained(e, toClose);
            }
            for (Entry other : others) {
                other.log.endWrite(memberSector, sectors, true, false);
                synchronized (this) {
                    other.outstanding--;
                    collectDrained(other, toClose);
                }
            }
            closeAll(toClose);
            throw ex;
        }
        if ((seq & ~SEQ_MASK) != 0) {
            throw new IllegalStateException("batch number " + seq + " does not fit " + GEN_SHIFT + " bits");
        }
        return ((long) e.gen << GEN_SHIFT) | seq;
    }

    @Override
    public boolean isBatchWritten(long bmSeq) {
        int gen = (int) (bmSeq >>> GEN_SHIFT);
        Entry e;
        synchronized (this) {
            e = byGen[gen];
        }
        // A log that is gone had every write it counted ended: nothing can wait on it.
        return e == null || e.log.isBatchWritten(bmSeq & SEQ_MASK);
    }

    @Override
    public void onBatchWritten(Runnable listener) {
        WriteIntentLog log;
        synchronized (this) {
            this.listener = listener;
            log = current.log;
        }
        log.onBatchWritten(listener);
    }

    @Override
    public void unplug() {
        List<Entry> live = new ArrayList<>(2);
        synchronized (this) {
            for (Entry e : retired) {
                if (!e.closed) {
                    e.callsInFlight++;
                    live.add(e);
                }
            }
            current.callsInFlight++;
            live.add(current);
        }
        List<Entry> toClose = new ArrayList<>(0);
        try {
            for (Entry e : live) {
                e.log.unplug();
            }
        } finally {
            synchronized (this) {
                for (Entry e : live) {
                    e.callsInFlight--;
                    collectDrained(e, toClose);
                }
            }
            closeAll(toClose);
        }
    }

    @Override
    public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
        Write w;
        List<Entry> logs;
        synchronized (this) {
            Key key = new Key(memberSector, sectors);
            ArrayDeque<Write> q = writes.get(key);
            if (q == null || q.isEmpty()) {
                throw new IllegalStateException("endWrite(" + memberSector + ", " + sectors + ") without a startWrite");
            }
            w = q.pollFirst();
            if (q.isEmpty()) {
                writes.remove(key);
            }
            w.ended = true;
            logs = List.copyOf(w.logs);
        }
        List<Entry> toClose = new ArrayList<>(0);
        try {
            for (Entry e : logs) {
                e.log.endWrite(memberSector, sectors, success, degraded);
            }
        } finally {
            synchronized (this) {
                for (Entry e : logs) {
                    e.outstanding--;
                    collectDrained(e, toClose);
                }
            }
            closeAll(toClose);
        }
    }

    /**
     * Makes {@code next} the log new writes go to. {@code next} must cover every chunk already
     * (all bits set and durable) and must not have been given to the engine before. Writes still
     * outstanding are counted in {@code next} too; the previous log is closed once they ended.
     */
    public void switchTo(WriteIntentLog next) {
        Runnable engineListener;
        synchronized (this) {
            engineListener = listener;
        }
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
        Entry entry;
        List<Write> shadows = new ArrayList<>();
        List<Entry> toClose = new ArrayList<>(1);
        synchronized (this) {
            // Route first and snapshot in the same step: every write is either in the snapshot
            // (counted in the old log, shadowed below) or started in the new log.
            entry = new Entry(next, freeGeneration());
            for (ArrayDeque<Write> q : writes.values()) {
                shadows.addAll(q);
            }
            Entry old = current;
            old.retired = true;
            retired.add(old);
            byGen[entry.gen] = entry;
            current = entry;
            collectDrained(old, toClose);
        }
        closeAll(toClose);
        // Shadow starts outside the lock (they may block); a write that ended meanwhile is
        // ended in the new log right after its shadow start, so the new log balances.
        List<Write> endedMeanwhile = new ArrayList<>();
        for (Write w : shadows) {
            next.startWrite(w.sector, w.sectors);
            synchronized (this) {
                entry.outstanding++;
                if (w.ended) {
                    endedMeanwhile.add(w);
                } else {
                    w.logs.add(entry);
                }
            }
        }
        for (Write w : endedMeanwhile) {
            next.endWrite(w.sector, w.sectors, true, false);
            synchronized (this) {
                entry.outstanding--;
            }
        }
    }

    private int freeGeneration() {
        for (int i = 0; i < MAX_GENERATIONS; i++) {
            int gen = (nextGen + i) % MAX_GENERATIONS;
            if (byGen[gen] == null) {
                nextGen = gen + 1;
                return gen;
            }
        }
        throw new IllegalStateException("too many write-intent logs still draining");
    }

    /** Under the lock: a retired entry with nothing left in flight is closed (by the caller, after unlocking). */
    private void collectDrained(Entry e, List<Entry> toClose) {
        if (e.retired && !e.closed && e.outstanding == 0 && e.callsInFlight == 0) {
            e.closed = true;
            byGen[e.gen] = null;
            toClose.add(e);
        }
    }

    private void closeAll(List<Entry> toClose) {
        for (Entry e : toClose) {
            try {
                e.log.close();
            } catch (IOException | RuntimeException ex) {
                LOG.log(Level.WARNING, "closing the previous write-intent log failed: " + ex.getMessage(), ex);
            }
            synchronized (this) {
                retired.remove(e);
                notifyAll();
            }
        }
    }

    // ---- degraded mode: every live log must know (an old log's bits are still a re-add's source
    // while it drains); the rest is the current log's, which covers everything an old one did.

    @Override
    public void setDegraded(boolean nowDegraded) {
        List<WriteIntentLog> live = new ArrayList<>(2);
        synchronized (this) {
            degraded = nowDegraded;
            live.add(current.log);
            for (Entry e : retired) {
                if (!e.closed) {
                    live.add(e.log);
                }
            }
        }
        for (WriteIntentLog l : live) {
            l.setDegraded(nowDegraded);
        }
    }

    @Override
    public void onMemberFailure(java.util.function.BiConsumer<Integer, IOException> handler) {
        WriteIntentLog now;
        synchronized (this) {
            memberFailure = handler;
            now = current.log;
        }
        now.onMemberFailure(handler);
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
    public void memberAdded(int role, io.raid5d.core.member.MemberDevice device,
                            io.raid5d.core.superblock.Superblock superblock) throws IOException {
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
        Entry e;
        synchronized (this) {
            e = current;
            e.callsInFlight++;
        }
        ResyncRange r = null;
        List<Entry> toClose = new ArrayList<>(0);
        try {
            r = e.log.nextResync(fromSector, limitSector, alignSectors);
        } finally {
            synchronized (this) {
                if (r != null) {
                    resyncOwners.put(r, e); // stays counted as a call until endResync
                } else {
                    e.callsInFlight--;
                    collectDrained(e, toClose);
                }
            }
            closeAll(toClose);
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
        List<Entry> toClose = new ArrayList<>(0);
        try {
            e.log.endResync(range, aborted);
        } finally {
            synchronized (this) {
                e.callsInFlight--;
                collectDrained(e, toClose);
            }
            closeAll(toClose);
        }
    }

    /** Closes the current log and any older one (the engine is stopped: nothing is in flight). */
    @Override
    public void close() throws IOException {
        List<Entry> all = new ArrayList<>();
        synchronized (this) {
            for (Entry e : retired) {
                if (!e.closed) {
                    e.closed = true;
                    all.add(e);
                }
            }
            retired.clear();
            if (!current.closed) {
                current.closed = true;
                all.add(current);
            }
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
