package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.SwitchableWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.resync.ParityResync;
import io.raid5d.core.resync.StripeSync;
import io.raid5d.core.stripe.StripeEngine;
import io.raid5d.core.stripe.StripeMetrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * A running RAID-5 array: the md superblock lifecycle ({@link ArrayMetadata}), the stripe
 * cache engine ({@link StripeEngine}) every read and write goes through, and the background
 * resync, which syncs stripes through the same cache.
 */
public final class Raid5Array implements RaidArray, MeterBinder {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());

    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final ArrayMetadata metadata;
    private final SwitchableWriteIntentLog intentLog;
    private final StripeEngine engine;
    private final ParityResync resync;
    private final Object switchLock = new Object(); // one bitmap switch at a time
    private int daemonSleepSeconds; // for the next bitmap made at run time; guarded by switchLock
    // bitmap page writes and syncs of logs switched away from, so the counters never go back
    private final AtomicLong retiredPageWrites = new AtomicLong();
    private final AtomicLong retiredSyncs = new AtomicLong();

    public Raid5Array(String name, MemberSet members, ArrayMetadata metadata, ArrayOptions options, WriteIntentLog intentLog) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.metadata = metadata;
        this.intentLog = intentLog instanceof SwitchableWriteIntentLog s ? s : new SwitchableWriteIntentLog(intentLog);
        metadata.useLog(this.intentLog);
        this.daemonSleepSeconds = intentLog instanceof BitmapWriteIntentLog b
                ? b.bitmap().daemonSleepSeconds() : BitmapSuperblock.DEFAULT_DAEMON_SLEEP;
        this.engine = new StripeEngine(name, members, this.intentLog, options.engineConfig(), options.meterRegistry());
        bindTo(options.meterRegistry());
        this.resync = new ParityResync(name, geometry, new StripeSync() {
            @Override
            public int stripesPerRow() {
                return engine.stripesPerRow();
            }

            @Override
            public CompletableFuture<Long> sync(long stripe, boolean repair) {
                return engine.sync(stripe, repair);
            }

            @Override
            public void syncedBelow(long memberSector) {
                engine.setSyncedBelow(memberSector);
            }

            @Override
            public WriteIntentLog.ResyncRange nextRange(long fromSector, long limitSector, long alignSectors) {
                return Raid5Array.this.intentLog.nextResync(fromSector, limitSector, alignSectors);
            }

            @Override
            public void endRange(WriteIntentLog.ResyncRange range, boolean aborted) {
                Raid5Array.this.intentLog.endResync(range, aborted);
            }
        });
    }

    /**
     * Registers the write-intent bitmap's meters (the stripe engine registers its own on the
     * options' registry): bitmap page writes and syncs, so their cost per array write can be
     * measured, and the bits set now.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("raid5.bitmap.page.writes", this, a -> a.bitmapCount(true)).tag("array", name)
                .description("bitmap pages written (each dirty page once per batch)").register(registry);
        FunctionCounter.builder("raid5.bitmap.syncs", this, a -> a.bitmapCount(false)).tag("array", name)
                .description("bitmap syncs (one per batch that set new bits)").register(registry);
        Gauge.builder("raid5.bitmap.bits.set", this, a -> currentBitmap().map(b -> b.bitmap().setBitCount()).orElse(0L))
                .tag("array", name).description("bitmap bits set now").register(registry);
    }

    private double bitmapCount(boolean pages) {
        long now = currentBitmap().map(b -> pages ? b.bitmap().pageWrites() : b.bitmap().storeSyncs()).orElse(0L);
        return now + (pages ? retiredPageWrites.get() : retiredSyncs.get());
    }

    private Optional<BitmapWriteIntentLog> currentBitmap() {
        return intentLog.current() instanceof BitmapWriteIntentLog b ? Optional.of(b) : Optional.empty();
    }

    /** Where the write-intent bitmap is now: "internal", "none", or the bitmap file's path. */
    public String bitmapLocation() {
        return currentBitmap().map(BitmapWriteIntentLog::location).orElse("none");
    }

    /** The current bitmap's header (chunk size, bits, daemon_sleep), if the array has a bitmap. */
    public Optional<BitmapSuperblock> bitmapHeader() {
        return currentBitmap().map(b -> b.bitmap().header());
    }

    /**
     * Adds, removes or moves the write-intent bitmap while the array runs (mdadm --grow --bitmap),
     * from one kind to another (internal, none, a new file; mdadm wants a step through none, raid5d
     * moves directly: the new bitmap covers everything before it takes over).
     * The new bitmap is made with every bit set and durable, then the superblocks are updated
     * (bitmap first), then new writes go to it; the old log is closed (a file's lock released)
     * once the writes it counted have ended. Waits for a previous switch's old log to drain first.
     *
     * @throws IllegalArgumentException with a one-line reason when the change is refused
     *         (the bitmap it has already, no room for an internal bitmap, the file exists)
     */
    public void switchWriteIntentLog(BitmapTarget target) throws IOException {
        synchronized (switchLock) {
            String have = bitmapLocation();
            if (target.kind() == BitmapTarget.Kind.NONE && have.equals("none")) {
                throw new IllegalArgumentException("array " + name + " has no bitmap to remove");
            }
            if (target.location().equals(have)) {
                throw new IllegalArgumentException("array " + name + " already has that bitmap (" + have + ")");
            }
            try {
                intentLog.awaitDrained();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the previous bitmap drained", e);
            }
            long checkpoint = resync.checkpoint();
            long resyncOffset = checkpoint >= geometry.memberSectors() ? ArrayMetadata.IN_SYNC : checkpoint;
            WriteIntentLogBuilder.Built built = WriteIntentLogBuilder.build(target, members, metadata.superblocks(),
                    metadata.events(), resyncOffset, daemonSleepSeconds);
            WriteIntentLog next = built.log();
            try {
                metadata.switchBitmap(next, built.internalBitmapOffset());
            } catch (IOException | RuntimeException e) {
                next.close();
                throw e;
            }
            currentBitmap().ifPresent(old -> {
                daemonSleepSeconds = old.bitmap().daemonSleepSeconds();
                retiredPageWrites.addAndGet(old.bitmap().pageWrites());
                retiredSyncs.addAndGet(old.bitmap().storeSyncs());
            });
            intentLog.switchTo(next);
            if (next instanceof BitmapWriteIntentLog b) {
                b.startDaemon();
            }
            LOG.info(() -> "array " + name + ": write-intent bitmap " + have + " -> " + target.location());
        }
    }

    /** Marks the members dirty and starts a background resync if the last stop was unclean. */
    public void start() throws IOException {
        long resumeAt = metadata.resyncStartSector();
        try {
            metadata.markActive();
        } catch (IOException | RuntimeException e) {
            engine.close(); // nothing was written through it; the caller closes the members
            intentLog.close();
            throw e;
        }
        if (resumeAt < geometry.memberSectors()) {
            resync.start(resumeAt);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long sizeBytes() {
        return geometry.arrayBytes();
    }

    @Override
    public Geometry geometry() {
        return geometry;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        if (!dst.hasRemaining()) {
            return CompletableFuture.completedFuture(null);
        }
        return engine.read(offset, dst);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
        checkRange(offset, src.remaining());
        return engine.write(offset, new ByteBuffer[] {src}, src.remaining(), fua);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, boolean fua) {
        long length = 0;
        for (ByteBuffer b : srcs) {
            length += b.remaining();
        }
        checkRange(offset, length);
        if (length > Integer.MAX_VALUE) {
            throw new ArrayRangeException("a single write of " + length + " bytes is too large");
        }
        return engine.write(offset, srcs, (int) length, fua);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        checkRange(offset, length);
        // Cut into int-sized requests; each zero piece is written from a shared zero page.
        CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, 1 << 30);
            CompletableFuture<Void> part = engine.write(pos, null, n, false);
            all = CompletableFuture.allOf(all, part);
            pos += n;
        }
        return all;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return engine.flush();
    }

    @Override
    public void unplug() {
        engine.unplug();
    }

    @Override
    public void setStripeCacheSize(int stripes) {
        engine.setStripeCacheSize(stripes);
    }

    @Override
    public int stripeCacheSize() {
        return engine.stripeCacheSize();
    }

    /** The engine's meters (also registered in the options' registry). */
    public StripeMetrics metrics() {
        return engine.metrics();
    }

    /** The array's (switchable) write-intent log. */
    public SwitchableWriteIntentLog writeIntentLog() {
        return intentLog;
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > sizeBytes() || length > sizeBytes() - offset) {
            throw new ArrayRangeException("range " + offset + "+" + length + " is outside array " + name
                    + " of " + sizeBytes() + " bytes");
        }
    }

    /** Read-modify-write passes so far, counted per stripe head. */
    public long readModifyWrites() {
        return engine.metrics().readModifyWrites();
    }

    /** Reconstruct-write passes so far (full-stripe writes included), counted per stripe head. */
    public long reconstructWrites() {
        return engine.metrics().reconstructWrites();
    }

    /** Blocks until a running resync has finished (for tests and orderly tools). */
    public void awaitResync() throws InterruptedException {
        resync.await();
    }

    @Override
    public ArrayStatus status() {
        long done = resync.checkpoint();
        String state = resync.running() ? "active, resyncing"
                : done < geometry.memberSectors() ? "active, resync pending" : "active";
        return new ArrayStatus(name, metadata.uuidString(), state,
                geometry.raidDisks(), geometry.chunkBytes(), geometry.layout().mdName(), sizeBytes(),
                geometry.memberSectors(), metadata.events(), members.paths(), resync.running(),
                Math.min(done, geometry.memberSectors()));
    }

    @Override
    public void close() throws IOException {
        synchronized (switchLock) { // a grow --bitmap in progress finishes first
            closeNow();
        }
    }

    private void closeNow() throws IOException {
        try {
            resync.stop();
            engine.close();
            members.syncAll();
            metadata.markStopped(resync.checkpoint());
        } finally {
            try {
                intentLog.close();
            } finally {
                members.close();
            }
        }
    }
}
