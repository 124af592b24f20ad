package io.raid5d.core.member.testing;

import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a member and fails chosen I/O, for degraded-mode and error-path tests; counts what
 * passes through.
 *
 * <p>Faults: reads or writes touching a byte range ({@link #failReads}, {@link #failWrites}),
 * every read and write once a budget of I/Os is used up ({@link #failAfter}), and syncs
 * ({@link #failSyncs}). A failed call throws {@link InjectedIOException} without touching
 * the device or the buffer. {@link #heal()} removes all faults.
 *
 * <p>Thread-safe: faults may be changed while other threads do I/O.
 */
public final class FaultInjectingMemberDevice extends ForwardingMemberDevice {

    /** The exception thrown for an injected fault, so tests can tell it from a real one. */
    public static final class InjectedIOException extends IOException {
        private static final long serialVersionUID = 1L;

        InjectedIOException(String message) {
            super(message);
        }
    }

    private static final class Range {
        final long from;
        final long to;

        Range(long from, long to) {
            this.from = from;
            this.to = to;
        }

        boolean overlaps(long offset, long length) {
            return offset < to && offset + length > from;
        }
    }

    private final List<Range> readFaults = new CopyOnWriteArrayList<>();
    private final List<Range> writeFaults = new CopyOnWriteArrayList<>();
    /** I/Os (reads + writes) still allowed before every I/O fails; Long.MAX_VALUE = no limit. */
    private final AtomicLong ioBudget = new AtomicLong(Long.MAX_VALUE);
    private volatile boolean failSyncs;
    /** Probability in parts per million that a read fails (a disk going bad); 0 = never. */
    private volatile int readErrorPpm;
    private final java.util.SplittableRandom readErrorRandom = new java.util.SplittableRandom(7); // guarded by itself

    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong injectedFailures = new AtomicLong();

    public FaultInjectingMemberDevice(MemberDevice delegate) {
        super(delegate);
    }

    public MemberDevice delegate() {
        return delegate;
    }

    /** Reads overlapping bytes {@code [fromOffset, toOffset)} fail from now on. */
    public FaultInjectingMemberDevice failReads(long fromOffset, long toOffset) {
        readFaults.add(new Range(fromOffset, toOffset));
        return this;
    }

    /** From now on each read fails with probability {@code rate} (0..1), wherever it reads. */
    public FaultInjectingMemberDevice failReadsAtRate(double rate) {
        if (rate < 0 || rate > 1) {
            throw new IllegalArgumentException("a rate is between 0 and 1, not " + rate);
        }
        readErrorPpm = (int) Math.round(rate * 1_000_000);
        return this;
    }

    /** Writes overlapping bytes {@code [fromOffset, toOffset)} fail from now on. */
    public FaultInjectingMemberDevice failWrites(long fromOffset, long toOffset) {
        writeFaults.add(new Range(fromOffset, toOffset));
        return this;
    }

    /** The next {@code ios} reads/writes succeed (unless a range fault hits); all later ones fail. */
    public FaultInjectingMemberDevice failAfter(long ios) {
        ioBudget.set(ios);
        return this;
    }

    /** Every read and write fails from now on, like a pulled disk. */
    public FaultInjectingMemberDevice failAll() {
        return failAfter(0).failSyncs(true);
    }

    public FaultInjectingMemberDevice failSyncs(boolean fail) {
        failSyncs = fail;
        return this;
    }

    /** Removes every fault; counters keep counting. */
    public FaultInjectingMemberDevice heal() {
        readFaults.clear();
        writeFaults.clear();
        ioBudget.set(Long.MAX_VALUE);
        failSyncs = false;
        readErrorPpm = 0;
        return this;
    }

    /** Successful reads. */
    public long reads() {
        return reads.get();
    }

    /** Successful writes. */
    public long writes() {
        return writes.get();
    }

    /** Successful syncs. */
    public long syncs() {
        return syncs.get();
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    /** Calls failed on purpose so far. */
    public long injectedFailures() {
        return injectedFailures.get();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        check("read", readFaults, offset, length);
        int ppm = readErrorPpm;
        if (ppm > 0) {
            boolean fail;
            synchronized (readErrorRandom) {
                fail = readErrorRandom.nextInt(1_000_000) < ppm;
            }
            if (fail) {
                injectedFailures.incrementAndGet();
                throw new InjectedIOException(path() + ": injected read error at " + offset);
            }
        }
        delegate.read(offset, dst);
        reads.incrementAndGet();
        bytesRead.addAndGet(length);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        check("write", writeFaults, offset, length);
        delegate.write(offset, src);
        writes.incrementAndGet();
        bytesWritten.addAndGet(length);
    }

    @Override
    public void sync() throws IOException {
        if (failSyncs) {
            injectedFailures.incrementAndGet();
            throw new InjectedIOException(path() + ": injected sync error");
        }
        delegate.sync();
        syncs.incrementAndGet();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private void check(String op, List<Range> faults, long offset, int length) throws InjectedIOException {
        for (Range r : faults) {
            if (r.overlaps(offset, length)) {
                throw injected(op, offset, length);
            }
        }
        if (ioBudget.getAndUpdate(b -> b > 0 ? b - 1 : 0) == 0) {
            throw injected(op, offset, length);
        }
    }

    private InjectedIOException injected(String op, long offset, int length) {
        injectedFailures.incrementAndGet();
        return new InjectedIOException(path() + ": injected " + op + " error, " + length + " bytes at offset " + offset);
    }

    @Override
    public String toString() {
        return "FaultInjecting[" + delegate + "]";
    }
}
