package io.raid5d.core.array;

import io.micrometer.core.instrument.MeterRegistry;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Grow;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running RAID-5 array: the md superblock lifecycle ({@link ArrayMetadata}), the stripe
 * cache engine ({@link StripeEngine}) every read and write goes through, and the background
 * resync, which syncs stripes through the same cache. This class is the I/O facade and the
 * start/stop lifecycle; the rest is delegated: member changes to {@link MemberOperations},
 * recovery and scrub to {@link RecoverySweeps}, the bitmap at run time to {@link BitmapControl},
 * failure recording to {@link FailureRecorder}, listeners to {@link ArrayEvents}, grows and size
 * changes (and the routing of requests while one runs) to {@link ArrayReshape}.
 */
public final class Raid5Array implements ManagedArray {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Raid5Array.class.getName());

    /** How an assembled array's grow resumes: the grow, the members' old data offsets, the recorded position. */
    public record GrowResume(Grow grow, long[] oldDataOffsets, long positionSectors) {
    }

    private final String name;
    private final ArrayOptions options;
    private final SwitchableWriteIntentLog intentLog;
    private final WriteIntentLog initialLog;
    private final ArrayEvents events;
    private final SparePool spares = new SparePool();
    private final ReadErrorLimit readErrors;
    /** Set once before start, read by report threads. */
    private volatile java.util.List<LeftOutMember> leftOut = java.util.List.of();
    /** Replaced by a grow's start or a size change (ArrayReshape, requests held meanwhile); read by every request. */
    private volatile ArrayParts parts;
    /** Grows and size changes, and the routing while one runs. */
    private final ArrayReshape reshape;
    private volatile StripeSweep.SpeedLimits speedLimits = StripeSweep.SpeedLimits.MD_DEFAULTS;

    public Raid5Array(String name, MemberSet members, ArrayMetadata metadata, ArrayOptions options, WriteIntentLog intentLog) {
        this(name, members, metadata, options, intentLog, null);
    }

    /**
     * An assembled array; with {@code resume}, one in the middle of a grow: {@code members} are
     * the new geometry's, at the new data offsets, and {@link #start} resumes the copy.
     */
    public Raid5Array(String name, MemberSet members, ArrayMetadata metadata, ArrayOptions options, WriteIntentLog intentLog,
                      GrowResume resume) {
        this.name = name;
        this.options = options;
        this.initialLog = intentLog;
        this.intentLog = intentLog instanceof SwitchableWriteIntentLog s ? s : new SwitchableWriteIntentLog(intentLog);
        this.events = new ArrayEvents(name);
        this.readErrors = new ReadErrorLimit(options.maxReadErrors(), options.nanoClock());
        this.reshape = new ArrayReshape(name, this.intentLog, spares, events, new ArrayReshape.Host() {
            @Override
            public ArrayParts parts() {
                return parts;
            }

            @Override
            public void install(ArrayParts next) {
                parts = next;
            }

            @Override
            public ArrayParts build(MemberSet members, ArrayMetadata metadata, Object failureLock) {
                return buildParts(members, metadata, options.meterRegistry(), failureLock);
            }

            @Override
            public StripeSweep.SpeedLimits speedLimits() {
                return speedLimits;
            }
        });
        // A member whose bitmap copy cannot be written is failed, as md does. Off the bitmap's
        // I/O path: failing a member writes the superblocks, which updates the bitmap first.
        this.intentLog.onMemberFailure((role, error) -> CompletableFuture.runAsync(() -> parts.engine().failMember(role, error)));
        this.parts = buildParts(members, metadata, options.meterRegistry(), null);
        bindTo(options.meterRegistry());
        if (resume != null) {
            reshape.resume(resume, members, options.engineConfig());
        }
        if (members.degraded()) {
            intentLog.setDegraded(true);
        }
    }

    /** The parts of the array over {@code members}; {@code failureLock} shared with another engine, or null. */
    private ArrayParts buildParts(MemberSet members, ArrayMetadata metadata, io.micrometer.core.instrument.MeterRegistry registry,
                             Object failureLock) {
        metadata.useLog(intentLog);
        StripeEngine engine = failureLock == null
                ? new StripeEngine(name, members, intentLog, options.engineConfig(), registry)
                : new StripeEngine(name, members, intentLog, options.engineConfig(), registry, failureLock);
        ParityResync resync = new ParityResync(name, members.geometry(), new StripeSync() {
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
                return intentLog.nextResync(fromSector, limitSector, alignSectors);
            }

            @Override
            public void endRange(WriteIntentLog.ResyncRange range, boolean aborted) {
                intentLog.endResync(range, aborted);
            }
        });
        BitmapControl bitmap = new BitmapControl(name, members, metadata, intentLog, initialLog, resync);
        RecoverySweeps sweeps = new RecoverySweeps(name, members, metadata, intentLog, engine, resync, events);
        sweeps.setSpeedLimits(speedLimits);
        MemberOperations memberOps = new MemberOperations(name, members, metadata, intentLog, engine, sweeps, events, spares,
                options.directIo(), reshape::growing);
        FailureRecorder recorder = new FailureRecorder(name, members, metadata, events, memberOps::memberFailed, readErrors,
                intentLog);
        engine.setMemberFailures(recorder);
        return new ArrayParts(members, members.geometry(), metadata, engine, resync, bitmap, sweeps, memberOps, recorder);
    }

    /**
     * Registers the write-intent bitmap's meters (the stripe engine registers its own on the
     * options' registry): bitmap page writes and syncs, so their cost per array write can be
     * measured, and the bits set now.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        parts.bitmap().bindTo(registry);
    }

    /** Where the write-intent bitmap is now: "internal", "none", or the bitmap file's path. */
    public String bitmapLocation() {
        return parts.bitmap().location();
    }

    /** The current bitmap's header (chunk size, bits, daemon_sleep), if the array has a parts.bitmap(). */
    public Optional<BitmapSuperblock> bitmapHeader() {
        return parts.bitmap().header();
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
        if (reshape.growth() != null) {
            throw new IllegalArgumentException("array " + name + " is growing: change its bitmap when the grow has ended");
        }
        parts.bitmap().switchTo(target);
    }

    /** Marks the members dirty and starts a background resync if the last stop was unclean. */
    public void start() throws IOException {
        long resumeAt = parts.metadata().resyncStartSector();
        try {
            parts.metadata().markActive();
        } catch (IOException | RuntimeException e) {
            parts.engine().close(); // nothing was written through it; the caller closes the members
            intentLog.close();
            throw e;
        }
        if (reshape.resumeAtStart(resumeAt)) {
            // the grow runs first; the resync follows it
        } else if (resumeAt < parts.geometry().memberSectors() && !parts.members().degraded()) {
            parts.resync().start(resumeAt);
        }
        int lost = parts.members().lostRole();
        if (lost >= 0) {
            events.fire(ArrayListener.Kind.DEGRADED_ARRAY, null, 0);
            if (parts.members().slot(lost) == MemberSet.Slot.REBUILDING) {
                parts.sweeps().startRebuild(lost, parts.members().recoveredBelow(), false); // continue from recovery_offset
            } else {
                parts.memberOps().activateSpare(); // md starts recovery onto a spare found at assembly
            }
        }
    }

    /**
     * Before {@link #start}: devices whose superblock says they are idle spares of this array
     * (assembly found them); the array owns them from now on.
     */
    public void holdIdleSpares(java.util.List<SpareMember> found) {
        for (SpareMember s : found) {
            parts.memberOps().holdIdleSpare(s.device(), s.superblock());
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
        parts.memberOps().failMember(member);
    }

    /** md's remove: detaches a faulty member (its dev_roles slot becomes unused) and closes it. */
    public void removeMember(String member) throws ArrayOperationException, IOException {
        parts.memberOps().removeMember(member);
    }

    /**
     * md's add: a spare takes the missing role and is rebuilt in the background; if no role is
     * missing it waits as an idle hot spare and replaces the next member that fails.
     */
    public void addSpare(String device) throws ArrayOperationException, IOException {
        parts.memberOps().addSpare(device);
    }

    /** {@link #addSpare(String)} with an already-open device (tests wrap devices); the array owns it from now on. */
    public void addSpare(MemberDevice device) throws ArrayOperationException, IOException {
        parts.memberOps().addSpare(device);
    }

    /** {@link #reAddMember(String)} with an already-open device; the array owns it from now on. */
    public void reAddMember(MemberDevice device) throws ArrayOperationException, IOException {
        parts.memberOps().reAddMember(device);
    }

    /**
     * md's re-add: a member that left comes back into its old role; if its event count is not older
     * than the bitmap's events_cleared, only the chunks the bitmap marks dirty are recovered.
     */
    public void reAddMember(String device) throws ArrayOperationException, IOException {
        parts.memberOps().reAddMember(device);
    }

    /** Starts md's check (count mismatches) or repair (also rewrite wrong parity) in the background. */
    public void startScrub(boolean repair) throws ArrayOperationException {
        if (reshape.growth() != null) {
            throw new ArrayOperationException("array " + name + " is growing: check it when the grow has ended");
        }
        parts.sweeps().startScrub(repair);
    }

    /** md's mismatch_cnt: sectors the running or last check/repair found inconsistent. */
    public long mismatchCount() {
        return parts.sweeps().mismatchCount();
    }

    /** md's sync_speed_min / sync_speed_max for rebuilds and scrubs started from now on (and the running ones). */
    public void setSpeedLimits(StripeSweep.SpeedLimits limits) {
        speedLimits = limits;
        parts.sweeps().setSpeedLimits(limits);
        reshape.setSpeedLimits(limits);
    }

    @Override
    public void setSyncSpeed(long minKiBps, long maxKiBps) {
        setSpeedLimits(new StripeSweep.SpeedLimits(minKiBps, maxKiBps));
    }

    /** Blocks until a running rebuild has ended (tests, tools). */
    public void awaitRebuild() throws InterruptedException {
        parts.sweeps().awaitRebuild();
    }

    /** Blocks until a running check/repair has ended. */
    public void awaitScrub() throws InterruptedException {
        parts.sweeps().awaitScrub();
    }

    /** The members in the current geometry (while growing: the new one, spares that joined included). */
    public MemberSet members() {
        return parts.members();
    }

    public ArrayHealth health() {
        return parts.sweeps().health(spares).withLeftOut(leftOut);
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
        Growth g = reshape.growth();
        return g != null ? g.sizeBytesDuring : parts.geometry().arrayBytes(); // md exposes the old size until the end
    }

    /** The geometry requests below the reshape position use (the only one when not growing). */
    @Override
    public Geometry geometry() {
        return parts.geometry();
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        if (!dst.hasRemaining()) {
            return CompletableFuture.completedFuture(null);
        }
        reshape.entering.increment();
        try {
            Growth g = reshape.growth();
            return g != null ? g.read(offset, dst) : parts.engine().read(offset, dst);
        } finally {
            reshape.entering.decrement();
        }
    }

    @Override
    public boolean readNow(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        // while growing, member cells change geometry under the page cache's feet: through the engines only
        return dst.hasRemaining() && reshape.growth() == null && parts.engine().readNow(offset, dst);
    }

    @Override
    public List<FileRange> fileRanges(long offset, int length) {
        checkRange(offset, length);
        return length == 0 || reshape.growth() != null ? null : parts.engine().fileRanges(offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
        checkRange(offset, src.remaining());
        return submitWrite(offset, new ByteBuffer[] {src}, src.remaining(), fua);
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
        return submitWrite(offset, srcs, (int) length, fua);
    }

    private CompletableFuture<Void> submitWrite(long offset, ByteBuffer[] srcs, int length, boolean fua) {
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        reshape.entering.increment();
        try {
            Growth g = reshape.growth();
            return g != null ? g.write(offset, srcs, length, fua) : parts.engine().write(offset, srcs, length, fua);
        } finally {
            reshape.entering.decrement();
        }
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
            CompletableFuture<Void> part = submitWrite(pos, null, n, false);
            all = CompletableFuture.allOf(all, part);
            pos += n;
        }
        return all;
    }

    @Override
    public CompletableFuture<Void> flush() {
        Growth g = reshape.growth();
        return g != null ? g.flush() : parts.engine().flush();
    }

    @Override
    public void unplug() {
        Growth g = reshape.growth();
        if (g != null) {
            g.oldEngine.unplug();
        }
        parts.engine().unplug();
    }

    @Override
    public void setStripeCacheSize(int stripes) {
        Growth g = reshape.growth();
        if (g != null) {
            g.oldEngine.setStripeCacheSize(stripes);
        }
        parts.engine().setStripeCacheSize(stripes);
    }

    @Override
    public int stripeCacheSize() {
        return parts.engine().stripeCacheSize();
    }

    /** The engine's meters (also registered in the options' registry). */
    public StripeMetrics metrics() {
        return parts.engine().metrics();
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
        return parts.engine().metrics().readModifyWrites();
    }

    /** Reconstruct-write passes so far (full-stripe writes included), counted per stripe head. */
    public long reconstructWrites() {
        return parts.engine().metrics().reconstructWrites();
    }

    /** Blocks until a running resync has finished (for tests and orderly tools). */
    public void awaitResync() throws InterruptedException {
        parts.resync().await();
    }

    // ------------------------------------------------------------------ grow (issue #18): ArrayReshape

    @Override
    public void grow(int raidDisks) throws ArrayOperationException, IOException {
        reshape.grow(raidDisks);
    }

    @Override
    public long growSize() throws ArrayOperationException, IOException {
        return reshape.growSize();
    }

    @Override
    public Optional<ReshapeStatus> reshape() {
        return reshape.status();
    }

    /** Blocks until a running grow has ended (tests, tools). */
    public void awaitGrow() throws InterruptedException {
        reshape.awaitGrow();
    }

    @Override
    public ArrayStatus status() {
        long done = parts.resync().checkpoint();
        String state = parts.resync().running() ? "active, resyncing"
                : done < parts.geometry().memberSectors() ? "active, resync pending" : "active";
        Growth now = reshape.growth();
        if (now != null && now.grow != null) {
            state = "active, reshaping";
        }
        if (parts.members().failed()) {
            state = "active, FAILED";
        } else if (parts.members().degraded()) {
            StripeSweep r = parts.sweeps().rebuild();
            state += r != null && r.running() ? ", degraded, recovering" : ", degraded";
        }
        return new ArrayStatus(name, parts.metadata().uuidString(), state,
                parts.geometry().raidDisks(), parts.geometry().chunkBytes(), parts.geometry().layout().mdName(), sizeBytes(),
                parts.geometry().memberSectors(), parts.metadata().events(), parts.members().paths(), parts.resync().running(),
                Math.min(done, parts.geometry().memberSectors()));
    }

    @Override
    public void close() throws IOException {
        reshape.whileStopped(() -> parts.bitmap().closeAfterSwitch(this::closeNow)); // a grow --bitmap in progress finishes first
    }

    private void closeNow() throws IOException {
        try {
            parts.memberOps().stop();
            parts.resync().stop();
            parts.sweeps().stop();
            reshape.closeOldEngine();
            parts.engine().close();
            parts.members().syncAll();
            long inSync = Math.min(parts.resync().checkpoint(), reshape.resyncAfterGrow());
            parts.metadata().markStopped(inSync);
        } finally {
            try {
                intentLog.close();
            } finally {
                try {
                    parts.members().close();
                } finally {
                    spares.close();
                }
            }
        }
    }
}
