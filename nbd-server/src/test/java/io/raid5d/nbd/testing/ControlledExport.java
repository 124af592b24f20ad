package io.raid5d.nbd.testing;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.export.memory.InMemoryExport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An export for protocol tests: backed by an {@link InMemoryExport}, it counts what reaches it,
 * can hold every request until the test releases it (from the test thread, so completions arrive
 * off the event loop and in an order the test picks), and can fail requests.
 */
public final class ControlledExport implements BlockExport {
    private final InMemoryExport backing;
    private final boolean readOnly;
    private final int minimumBlockSize;

    public volatile boolean gated;
    /** When set, requests fail with it (after release when gated). */
    public volatile Throwable failWith;
    /** When set, requests throw it synchronously. */
    public volatile RuntimeException throwNow;

    public final AtomicInteger reads = new AtomicInteger();
    public final AtomicInteger writes = new AtomicInteger();
    public final AtomicInteger fuaWrites = new AtomicInteger();
    public final AtomicInteger flushes = new AtomicInteger();
    public final AtomicInteger trims = new AtomicInteger();
    public final AtomicInteger zeroes = new AtomicInteger();
    public final AtomicInteger unplugs = new AtomicInteger();
    public final AtomicInteger outstanding = new AtomicInteger();
    public final AtomicInteger maxOutstanding = new AtomicInteger();
    /** Every write source buffer seen, to check the server releases them. Guarded by itself. */
    public final List<ByteBuf> writeSources = new ArrayList<>();
    /** Held completions, oldest first. Guarded by itself. */
    private final List<Runnable> held = new ArrayList<>();

    public ControlledExport(InMemoryExport backing) {
        this(backing, backing.readOnly(), 1);
    }

    public ControlledExport(InMemoryExport backing, boolean readOnly, int minimumBlockSize) {
        this.backing = backing;
        this.readOnly = readOnly;
        this.minimumBlockSize = minimumBlockSize;
    }

    public InMemoryExport backing() {
        return backing;
    }

    @Override public String name() { return backing.name(); }
    @Override public long size() { return backing.size(); }
    @Override public String description() { return backing.description(); }
    @Override public boolean readOnly() { return readOnly; }
    @Override public boolean canMultiConn() { return backing.canMultiConn(); }
    @Override public int minimumBlockSize() { return minimumBlockSize; }
    @Override public int maximumPayload() { return backing.maximumPayload(); }

    @Override
    public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
        reads.incrementAndGet();
        return run(() -> backing.read(offset, length, dst));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
        writes.incrementAndGet();
        if (fua) {
            fuaWrites.incrementAndGet();
        }
        synchronized (writeSources) {
            writeSources.add(src);
        }
        return run(() -> backing.write(offset, src, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        flushes.incrementAndGet();
        return run(backing::flush);
    }

    @Override public boolean canTrim() { return !readOnly; }
    @Override public boolean canWriteZeroes() { return !readOnly; }
    @Override public boolean zeroesFast() { return backing.zeroesFast(); }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        trims.incrementAndGet();
        return run(() -> backing.trim(offset, length, fua));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
        zeroes.incrementAndGet();
        return run(() -> backing.writeZeroes(offset, length, fua, mayPunchHole));
    }

    @Override
    public CompletableFuture<List<Extent>> allocation(long offset, long length) {
        return backing.allocation(offset, length);
    }

    @Override
    public void unplug() {
        unplugs.incrementAndGet();
    }

    private CompletableFuture<Void> run(Supplier<CompletableFuture<Void>> op) {
        RuntimeException t = throwNow;
        if (t != null) {
            throw t;
        }
        int now = outstanding.incrementAndGet();
        maxOutstanding.accumulateAndGet(now, Math::max);
        CompletableFuture<Void> f = new CompletableFuture<>();
        Runnable complete = () -> {
            outstanding.decrementAndGet();
            Throwable failure = failWith;
            if (failure != null) {
                f.completeExceptionally(failure);
            } else {
                op.get().whenComplete((v, e) -> {
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        f.complete(null);
                    }
                });
            }
        };
        if (gated) {
            synchronized (held) {
                held.add(complete);
            }
        } else {
            complete.run();
        }
        return f;
    }

    public int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Completes the held request at {@code index} (0 = oldest). */
    public void release(int index) {
        Runnable r;
        synchronized (held) {
            r = held.remove(index);
        }
        r.run();
    }

    public int releaseAll() {
        List<Runnable> all;
        synchronized (held) {
            all = new ArrayList<>(held);
            held.clear();
        }
        all.forEach(Runnable::run);
        return all.size();
    }

    /** Waits until at least {@code n} requests are held. */
    public void awaitHeld(int n) {
        Await.until(() -> heldCount() >= n, () -> "held requests: " + heldCount() + " of " + n);
    }
}
