package io.raid5d.core.array;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.SwitchableWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.FileRange;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.ParityResync;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.resync.StripeSync;
import io.raid5d.core.stripe.StripeEngine;
import io.raid5d.core.stripe.StripeMetrics;
import java.util.List;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running RAID-5 array: the md superblock lifecycle ({@link ArrayMetadata}), the stripe
 * cache engine ({@link StripeEngine}) every read and write goes through, and the background
 * resync, which syncs stripes through the same cache. This class is the I/O facade and the
 * start/stop lifecycle; the rest is delegated: member changes to {@link MemberOperations},
 * recovery and scrub to {@link RecoverySweeps}, the bitmap at run time to {@link BitmapControl},
 * failure recording to {@link FailureRecorder}, listeners to {@link ArrayEvents}.
 */
public final class Raid5Array implements ManagedArray {
    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final ArrayMetadata metadata;
    private final SwitchableWriteIntentLog intentLog;
    private final StripeEngine engine;
    private final ParityResync resync;
    private final ArrayEvents events;
    private final BitmapControl bitmap;
    private final RecoverySweeps sweeps;
    private final MemberOperations memberOps;
    private final SparePool spares = new SparePool();
    /** Set once before start, read by report threads. */
    private volatile java.util.List<LeftOutMember> leftOut = java.util.List.of();

    public Raid5Array(String name, MemberSet members, ArrayMetadata metadata, ArrayOptions options, WriteIntentLog intentLog) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.metadata = metadata;
        this.intentLog = intentLog instanceof SwitchableWriteIntentLog s ? s : new SwitchableWriteIntentLog(intentLog);
        metadata.useLog(this.intentLog);
        this.engine = new StripeEngine(name, members, this.intentLog, options.engineConfig(), options.meterRegistry());
        // A member whose bitmap copy cannot be written is failed, as md does. Off the bitmap's
        // I/O path: failing a member writes the superblocks, which updates the bitmap first.
        this.intentLog.onMemberFailure((role, error) -> CompletableFuture.runAsync(() -> engine.failMember(role, error)));
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
        this.bitmap = new BitmapControl(name, members, metadata, this.intentLog, intentLog, resync);
        bindTo(options.meterRegistry());
        this.events = new ArrayEvents(name);
        this.sweeps = new RecoverySweeps(name, members, metadata, this.intentLog, engine, resync, events);
        this.memberOps = new MemberOperations(name, members, metadata, this.intentLog, engine, sweeps, events, spares,
                options.directIo());
        engine.setMemberFailures(new FailureRecorder(name, members, metadata, events, memberOps::memberFailed,
                new ReadErrorLimit(options.maxReadErrors(), options.nanoClock()), this.intentLog));
        if (members.degraded()) {
            intentLog.setDegraded(true);
        }
    }

    /**
     * Registers the write-intent bitmap's meters (the stripe engine registers its own on the
     * options' registry): bitmap page writes and syncs, so their cost per array write can be
     * measured, and the bits set now.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        bitmap.bindTo(registry);
    }

    /** Where the write-intent bitmap is now: "internal", "none", or the bitmap file's path. */
    public String bitmapLocation() {
        return bitmap.location();
    }

    /** The current bitmap's header (chunk size, bits, daemon_sleep), if the array has a bitmap. */
    public Optional<BitmapSuperblock> bitmapHeader() {
        return bitmap.header();
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
        bitmap.switchTo(target);
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
        if (resumeAt < geometry.memberSectors() && !members.degraded()) {
            resync.start(resumeAt);
        }
        int lost = members.lostRole();
        if (lost >= 0) {
            events.fire(ArrayListener.Kind.DEGRADED_ARRAY, null, 0);
            if (members.slot(lost) == MemberSet.Slot.REBUILDING) {
                sweeps.startRebuild(lost, members.recoveredBelow(), false); // continue from recovery_offset
            } else {
                memberOps.activateSpare(); // md starts recovery onto a spare found at assembly
            }
        }
    }

    /**
     * Before {@link #start}: devices whose superblock says they are idle spares of this array
     * (assembly found them); the array owns them from now on.
     */
    public void holdIdleSpares(java.util.List<SpareMember> found) {
        for (SpareMember s : found) {
            memberOps.holdIdleSpare(s.device(), s.superblock());
        }
    }

    // ------------------------------------------------------------------ degraded mode, spares, scrub (issue #5)

    public void addListener(ArrayListener l) {
        events.add(l);
    }

    public void removeListener(ArrayListener l) {
        events.remove(l);
    }

    /** md's fail: marks the member faulty (recorded on the others before this returns); the array runs degraded. */
    public void failMember(String member) throws ArrayOperationException, IOException {
        memberOps.failMember(member);
    }

    /** md's remove: detaches a faulty member (its dev_roles slot becomes unused) and closes it. */
    public void removeMember(String member) throws ArrayOperationException, IOException {
        memberOps.removeMember(member);
    }

    /**
     * md's add: a spare takes the missing role and is rebuilt in the background; if no role is
     * missing it waits as an idle hot spare and replaces the next member that fails.
     */
    public void addSpare(String device) throws ArrayOperationException, IOException {
        memberOps.addSpare(device);
    }

    /** {@link #addSpare(String)} with an already-open device (tests wrap devices); the array owns it from now on. */
    public void addSpare(MemberDevice device) throws ArrayOperationException, IOException {
        memberOps.addSpare(device);
    }

    /** {@link #reAddMember(String)} with an already-open device; the array owns it from now on. */
    public void reAddMember(MemberDevice device) throws ArrayOperationException, IOException {
        memberOps.reAddMember(device);
    }

    /**
     * md's re-add: a member that left comes back into its old role; if its event count is not older
     * than the bitmap's events_cleared, only the chunks the bitmap marks dirty are recovered.
     */
    public void reAddMember(String device) throws ArrayOperationException, IOException {
        memberOps.reAddMember(device);
    }

    /** Starts md's check (count mismatches) or repair (also rewrite wrong parity) in the background. */
    public void startScrub(boolean repair) throws ArrayOperationException {
        sweeps.startScrub(repair);
    }

    /** md's mismatch_cnt: sectors the running or last check/repair found inconsistent. */
    public long mismatchCount() {
        return sweeps.mismatchCount();
    }

    /** md's sync_speed_min / sync_speed_max for rebuilds and scrubs started from now on (and the running ones). */
    public void setSpeedLimits(StripeSweep.SpeedLimits limits) {
        sweeps.setSpeedLimits(limits);
    }

    @Override
    public void setSyncSpeed(long minKiBps, long maxKiBps) {
        setSpeedLimits(new StripeSweep.SpeedLimits(minKiBps, maxKiBps));
    }

    /** Blocks until a running rebuild has ended (tests, tools). */
    public void awaitRebuild() throws InterruptedException {
        sweeps.awaitRebuild();
    }

    /** Blocks until a running check/repair has ended. */
    public void awaitScrub() throws InterruptedException {
        sweeps.awaitScrub();
    }

    public MemberSet members() {
        return members;
    }

    public ArrayHealth health() {
        return sweeps.health(spares).withLeftOut(leftOut);
    }

    /**
     * Before {@link #start}: the devices assembly left out (out of date, recorded faulty or
     * removed), so detail and status can say which member is out and why, and the daemon can
     * re-add them.
     */
    public void recordLeftOut(java.util.List<LeftOutMember> found) {
        leftOut = java.util.List.copyOf(found);
    }

    /** The devices assembly left out (see {@link #recordLeftOut}). */
    public java.util.List<LeftOutMember> leftOut() {
        return leftOut;
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
    public boolean readNow(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        return dst.hasRemaining() && engine.readNow(offset, dst);
    }

    @Override
    public List<FileRange> fileRanges(long offset, int length) {
        checkRange(offset, length);
        return length == 0 ? null : engine.fileRanges(offset, length);
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
        if (members.failed()) {
            state = "active, FAILED";
        } else if (members.degraded()) {
            StripeSweep r = sweeps.rebuild();
            state += r != null && r.running() ? ", degraded, recovering" : ", degraded";
        }
        return new ArrayStatus(name, metadata.uuidString(), state,
                geometry.raidDisks(), geometry.chunkBytes(), geometry.layout().mdName(), sizeBytes(),
                geometry.memberSectors(), metadata.events(), members.paths(), resync.running(),
                Math.min(done, geometry.memberSectors()));
    }

    @Override
    public void close() throws IOException {
        bitmap.closeAfterSwitch(this::closeNow); // a grow --bitmap in progress finishes first
    }

    private void closeNow() throws IOException {
        try {
            memberOps.stop();
            resync.stop();
            sweeps.stop();
            engine.close();
            members.syncAll();
            metadata.markStopped(resync.checkpoint());
        } finally {
            try {
                intentLog.close();
            } finally {
                try {
                    members.close();
                } finally {
                    spares.close();
                }
            }
        }
    }
}
