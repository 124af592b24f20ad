package io.raid5d.core.intent.testing;

import io.raid5d.core.intent.WriteIntentLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory write-intent log for tests: records every call, keeps md's batch numbers
 * ({@code seqFlush}, {@code seqWrite}), can hold batches back ("not on disk yet") until the test
 * releases them, and checks that every startWrite is matched by exactly one endWrite of the same
 * range. Thread-safe (the object's monitor); the listener is called outside it.
 */
public final class RecordingWriteIntentLog implements WriteIntentLog {
    /** One recorded call. */
    public record Call(String kind, long memberSector, long sectors, long seq) {
    }

    private final List<Call> calls = new ArrayList<>(); // guarded by this
    private final Map<Long, Integer> open = new HashMap<>(); // start sector -> outstanding starts; guarded by this
    private long seqFlush; // guarded by this
    private long seqWrite; // guarded by this
    private boolean holdBatches; // guarded by this
    private long unbalanced; // endWrite without a startWrite; guarded by this
    private volatile Runnable listener = () -> { };

    /** While held, unplug closes batches but they do not become durable until {@link #release}. */
    public synchronized void hold(boolean hold) {
        holdBatches = hold;
    }

    /** Makes every closed batch durable and tells the engine. */
    public void release() {
        synchronized (this) {
            holdBatches = false;
            seqWrite = seqFlush;
            calls.add(new Call("written", -1, 0, seqWrite));
        }
        listener.run();
    }

    @Override
    public synchronized long startWrite(long memberSector, long sectors) {
        long seq = seqFlush + 1;
        calls.add(new Call("start", memberSector, sectors, seq));
        if (degraded && dirtyChunkSectors > 0) {
            for (long c = memberSector / dirtyChunkSectors; c <= (memberSector + sectors - 1) / dirtyChunkSectors; c++) {
                dirtyChunks.add(c);
            }
        }
        open.merge(memberSector, 1, Integer::sum);
        return seq;
    }

    @Override
    public synchronized boolean isBatchWritten(long bmSeq) {
        return bmSeq <= seqWrite;
    }

    @Override
    public void onBatchWritten(Runnable l) {
        listener = l;
    }

    @Override
    public void unplug() {
        boolean written;
        synchronized (this) {
            seqFlush++;
            calls.add(new Call("unplug", -1, 0, seqFlush));
            written = !holdBatches;
            if (written) {
                seqWrite = seqFlush;
            }
        }
        if (written) {
            listener.run();
        }
    }

    @Override
    public synchronized void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
        calls.add(new Call(success ? "end" : "end-failed", memberSector, sectors, -1));
        Integer n = open.get(memberSector);
        if (n == null) {
            unbalanced++;
        } else if (n == 1) {
            open.remove(memberSector);
        } else {
            open.put(memberSector, n - 1);
        }
    }

    // ---- degraded mode: a bitmap in miniature, one "bit" per dirtyChunkSectors of member sectors

    private boolean degraded; // guarded by this
    private long dirtyChunkSectors; // 0: every chunk dirty (like AlwaysWrittenLog); guarded by this
    private final java.util.TreeSet<Long> dirtyChunks = new java.util.TreeSet<>(); // chunks written while degraded
    private long eventsCleared; // guarded by this

    /** Tracks writes in chunks of {@code sectors} member sectors: only chunks written while degraded are dirty. */
    public synchronized RecordingWriteIntentLog trackDirty(long sectors) {
        dirtyChunkSectors = sectors;
        return this;
    }

    public synchronized void setEventsCleared(long events) {
        eventsCleared = events;
    }

    @Override
    public synchronized void setDegraded(boolean d) {
        degraded = d;
        calls.add(new Call(d ? "degraded" : "whole", -1, 0, -1));
    }

    public synchronized boolean degraded() {
        return degraded;
    }

    @Override
    public synchronized long nextDirtySector(long from) {
        if (dirtyChunkSectors == 0) {
            return from;
        }
        Long c = dirtyChunks.ceiling(from / dirtyChunkSectors);
        return c == null ? Long.MAX_VALUE : Math.max(from, c * dirtyChunkSectors);
    }

    @Override
    public synchronized long eventsCleared() {
        return eventsCleared;
    }

    /** Chunks marked dirty (written while degraded) so far. */
    public synchronized int dirtyChunkCount() {
        return dirtyChunks.size();
    }

    /** startWrite calls not yet matched by an endWrite. */
    public synchronized long outstanding() {
        return open.values().stream().mapToLong(Integer::longValue).sum();
    }

    /** endWrite calls that matched no startWrite. */
    public synchronized long unbalancedEnds() {
        return unbalanced;
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized long count(String kind) {
        return calls.stream().filter(c -> c.kind().equals(kind)).count();
    }

    public synchronized long seqFlush() {
        return seqFlush;
    }

    public synchronized long seqWrite() {
        return seqWrite;
    }
}
