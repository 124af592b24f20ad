package io.raid5d.core.array;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Grow;
import io.raid5d.core.grow.ReshapeSweep;
import io.raid5d.core.grow.ReshapeWindow;
import io.raid5d.core.superblock.Superblock;
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
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Raid5Array.class.getName());

    /**
     * The array's parts in one geometry: the members, their superblocks, the stripe engine and
     * what drives it. Replaced once per grow, when it starts (the old engine lives on in
     * {@link Growth} until the grow ends).
     */
    private record Parts(MemberSet members, Geometry geometry, ArrayMetadata metadata, StripeEngine engine,
                         ParityResync resync, BitmapControl bitmap, RecoverySweeps sweeps, MemberOperations memberOps,
                         FailureRecorder recorder) {
    }

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
    /** Written under growLock (a grow's start, while its window holds every request); read by every request. */
    private volatile Parts parts;
    /** Non-null while the array grows; written under growLock or by the grow's end. */
    private volatile Growth growth;
    /**
     * Requests between reading {@link #growth} and handing themselves to an engine or the window:
     * a grow's start waits for them to leave before it drains the old engine.
     */
    private final java.util.concurrent.atomic.LongAdder entering = new java.util.concurrent.atomic.LongAdder();
    /** One grow start, end or stop at a time; before BitmapControl's switch lock in the lock order. */
    private final Object growLock = new Object();
    private volatile StripeSweep.SpeedLimits speedLimits = StripeSweep.SpeedLimits.MD_DEFAULTS;
    /** A resync the last stop left to do, run in the new geometry once a resumed grow ends (md's order). */
    private volatile long resyncAfterGrow = Long.MAX_VALUE;

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
        // A member whose bitmap copy cannot be written is failed, as md does. Off the bitmap's
        // I/O path: failing a member writes the superblocks, which updates the bitmap first.
        this.intentLog.onMemberFailure((role, error) -> CompletableFuture.runAsync(() -> parts.engine.failMember(role, error)));
        this.parts = buildParts(members, metadata, options.meterRegistry(), null);
        bindTo(options.meterRegistry());
        if (resume != null) {
            Grow grow = resume.grow();
            int n = grow.before().raidDisks();
            MemberDevice[] old = new MemberDevice[n];
            for (int r = 0; r < n; r++) {
                MemberSet.Slot slot = members.slot(r);
                old[r] = slot == MemberSet.Slot.IN_SYNC ? members.member(r) : null;
            }
            MemberSet oldMembers = new MemberSet(grow.before(), old, resume.oldDataOffsets(), -1, 0);
            StripeEngine oldEngine = new StripeEngine(name, oldMembers, this.intentLog, options.engineConfig(),
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), parts.engine.failureLock());
            oldEngine.setMemberFailures(Growth.mirrored(parts.recorder, members));
            parts.engine.setMemberFailures(Growth.mirrored(parts.recorder, oldMembers));
            this.growth = new Growth(grow, oldEngine, oldMembers, new ReshapeWindow(resume.positionSectors() * 512),
                    () -> parts.engine);
        }
        if (members.degraded()) {
            intentLog.setDegraded(true);
        }
    }

    /** The parts of the array over {@code members}; {@code failureLock} shared with another engine, or null. */
    private Parts buildParts(MemberSet members, ArrayMetadata metadata, io.micrometer.core.instrument.MeterRegistry registry,
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
                options.directIo(), () -> growth != null);
        FailureRecorder recorder = new FailureRecorder(name, members, metadata, events, memberOps::memberFailed, readErrors,
                intentLog);
        engine.setMemberFailures(recorder);
        return new Parts(members, members.geometry(), metadata, engine, resync, bitmap, sweeps, memberOps, recorder);
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
        if (growth != null) {
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
        Growth g = growth;
        if (g != null) {
            // md's order: the reshape first (it writes every row past its position with fresh
            // parity), then the resync of what the bitmap says was being written, in the new geometry
            resyncAfterGrow = resumeAt;
            LOG.warning(() -> "array " + name + ": resuming the grow from " + g.grow.before().raidDisks() + " to "
                    + g.grow.after().raidDisks() + " members at array sector " + g.window.safe() / 512);
            startSweep(g, g.window.safe() / 512);
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
        if (growth != null) {
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
        Growth g = growth;
        if (g != null && g.sweep != null) {
            g.sweep.setLimits(limits);
        }
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
        Growth g = growth;
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
        entering.increment();
        try {
            Growth g = growth;
            return g != null ? g.read(offset, dst) : parts.engine().read(offset, dst);
        } finally {
            entering.decrement();
        }
    }

    @Override
    public boolean readNow(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        // while growing, member cells change geometry under the page cache's feet: through the engines only
        return dst.hasRemaining() && growth == null && parts.engine().readNow(offset, dst);
    }

    @Override
    public List<FileRange> fileRanges(long offset, int length) {
        checkRange(offset, length);
        return length == 0 || growth != null ? null : parts.engine().fileRanges(offset, length);
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
        entering.increment();
        try {
            Growth g = growth;
            return g != null ? g.write(offset, srcs, length, fua) : parts.engine().write(offset, srcs, length, fua);
        } finally {
            entering.decrement();
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
        Growth g = growth;
        return g != null ? g.flush() : parts.engine().flush();
    }

    @Override
    public void unplug() {
        Growth g = growth;
        if (g != null) {
            g.oldEngine.unplug();
        }
        parts.engine().unplug();
    }

    @Override
    public void setStripeCacheSize(int stripes) {
        Growth g = growth;
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

    // ------------------------------------------------------------------ grow (issue #18)

    @Override
    public void grow(int raidDisks) throws ArrayOperationException, IOException {
        synchronized (growLock) {
            ArrayOperationException[] refused = new ArrayOperationException[1];
            parts.bitmap().closeAfterSwitch(() -> { // no bitmap switch meanwhile
                try {
                    startGrow(raidDisks);
                } catch (ArrayOperationException e) {
                    refused[0] = e;
                }
            });
            if (refused[0] != null) {
                throw refused[0];
            }
        }
    }

    private void startGrow(int raidDisks) throws ArrayOperationException, IOException {
        Parts old = parts;
        Geometry before = old.geometry();
        if (raidDisks <= before.raidDisks()) {
            throw new ArrayOperationException("array " + name + " has " + before.raidDisks() + " members: growing means more,"
                    + " not " + raidDisks);
        }
        requireSteady(old, "growing it");
        int k = raidDisks - before.raidDisks();
        List<SparePool.Idle> idle = spares.idleList();
        if (idle.size() < k) {
            throw new ArrayOperationException("growing array " + name + " from " + before.raidDisks() + " to " + raidDisks
                    + " members needs " + k + " spare" + (k == 1 ? "" : "s") + ", it has " + idle.size()
                    + ": add " + (k == 1 ? "one" : "them") + " first (raid5 add " + name + " DEVICE)");
        }
        Grow grow = Grow.of(before, raidDisks);
        List<SparePool.Idle> joining = idle.subList(0, k);
        List<Superblock> memberSbs = old.metadata().superblocks();
        List<Superblock> spareSbs = new java.util.ArrayList<>();
        for (SparePool.Idle sp : joining) {
            spareSbs.add(old.metadata().superblockOfSpare(sp.device()));
        }
        for (int i = 0; i < raidDisks; i++) {
            MemberDevice dev = i < before.raidDisks() ? old.members().member(i) : joining.get(i - before.raidDisks()).device();
            Superblock sb = i < before.raidDisks() ? memberSbs.get(i) : spareSbs.get(i - before.raidDisks());
            String why;
            try {
                why = grow.whyNoRoom(sb.getDataOffset(), io.raid5d.core.grow.OfflineGrow.metadataEnd(dev, sb));
            } catch (io.raid5d.core.grow.GrowException e) {
                throw new ArrayOperationException(e.getMessage());
            }
            if (why != null) {
                throw new ArrayOperationException(dev.path() + ": no room to move the data down (and raid5d takes no backup"
                        + " file): " + why);
            }
            long needed = (grow.newDataOffset(sb.getDataOffset()) + sb.getSize()) * 512;
            if (dev.sizeBytes() < needed) {
                throw new ArrayOperationException(dev.path() + " is too small to join: " + dev.sizeBytes() + " bytes, needs "
                        + needed);
            }
        }
        // Hold every request, let those on their way in arrive, and let the old engine finish its
        // writes: the first step must see every write acknowledged before it.
        ReshapeWindow window = new ReshapeWindow(0);
        window.hold();
        Growth g = new Growth(grow, old.engine(), old.members(), window, () -> parts.engine());
        growth = g; // from now on no spare is activated (MemberOperations asks), none in the old geometry
        Parts grown;
        List<SparePool.Idle> taken = new java.util.ArrayList<>();
        ArrayMetadata[] startedMetadata = new ArrayMetadata[1];
        try {
            while (entering.sum() != 0) {
                Thread.onSpinWait();
            }
            old.engine().awaitWritesDone();
            List<Superblock> started = io.raid5d.core.grow.GrowSuperblocks.started(memberSbs, spareSbs, grow);
            MemberDevice[] devices = new MemberDevice[raidDisks];
            long[] offsets = new long[raidDisks];
            for (int i = 0; i < raidDisks; i++) {
                devices[i] = i < before.raidDisks() ? old.members().member(i) : joining.get(i - before.raidDisks()).device();
                offsets[i] = started.get(i).newDataOffset();
            }
            MemberSet members = new MemberSet(grow.after(), devices, offsets, -1, 0);
            ArrayMetadata metadata = new ArrayMetadata(members, started, intentLog);
            startedMetadata[0] = metadata;
            for (SparePool.Idle sp : joining) {
                spares.removeIdle(sp);
                taken.add(sp);
            }
            for (SparePool.Idle sp : spares.idleList()) { // spares that stay spares carry the grow too
                metadata.restoreIdleSpare(sp.device(), io.raid5d.core.grow.GrowSuperblocks.startedSpare(
                        old.metadata().superblockOfSpare(sp.device()), started.get(0)));
            }
            for (int j = 0; j < k; j++) {
                int role = before.raidDisks() + j;
                intentLog.memberAdded(role, devices[role], started.get(role)); // its copy of the bitmap first
            }
            metadata.reshapeRecorded(0); // the start, on every member
            old.engine().detachMeters();
            grown = buildParts(members, metadata, options.meterRegistry(), old.engine().failureLock());
            old.engine().setMemberFailures(Growth.mirrored(grown.recorder(), members));
            grown.engine().setMemberFailures(Growth.mirrored(grown.recorder(), old.members()));
        } catch (IOException | RuntimeException | InterruptedException e) {
            // The start did not reach every member: the superblocks say again what the array is,
            // with events past what the start wrote, so no member is taken for a grown one.
            taken.forEach(spares::addIdle);
            if (startedMetadata[0] != null) {
                try {
                    old.metadata().rewrite(startedMetadata[0].events());
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw releaseAfterFailure(window, e, "the grow could not start");
        }
        parts = grown;
        old.memberOps().stop(); // the old parts' spare activator
        LOG.warning(() -> "array " + name + ": growing from " + before.raidDisks() + " to " + raidDisks + " members (data"
                + " offset moves down " + grow.offsetShift() + " sectors)");
        events.fire(ArrayListener.Kind.RESHAPE_STARTED, null, 0);
        window.release(); // before the sweep's first step claims its range
        startSweep(g, 0);
    }

    @Override
    public long growSize() throws ArrayOperationException, IOException {
        synchronized (growLock) {
            ArrayOperationException[] refused = new ArrayOperationException[1];
            long[] grownTo = new long[1];
            parts.bitmap().closeAfterSwitch(() -> { // no bitmap switch meanwhile
                try {
                    grownTo[0] = resizeToMax();
                } catch (ArrayOperationException e) {
                    refused[0] = e;
                }
            });
            if (refused[0] != null) {
                throw refused[0];
            }
            return grownTo[0];
        }
    }

    /**
     * md's grow --size max: every member's used size becomes what the smallest member has room
     * for (whole chunks), with requests held for the moment the parts are remade; the new rows
     * are then resynced (the bitmap is remade for the bigger size with their bits set, as
     * md_bitmap_resize does; without a bitmap the resync runs from the old end).
     */
    private long resizeToMax() throws ArrayOperationException, IOException {
        Parts old = parts;
        Geometry before = old.geometry();
        requireSteady(old, "changing its size");
        String bitmapAt = old.bitmap().location();
        if (!bitmapAt.equals("internal") && !bitmapAt.equals("none")) {
            throw new ArrayOperationException("array " + name + " keeps its bitmap in " + bitmapAt + ": move it (grow --bitmap"
                    + " internal or none) before changing the size");
        }
        List<Superblock> sbs = old.metadata().superblocks();
        long room = Long.MAX_VALUE;
        String tightest = null;
        for (int r = 0; r < sbs.size(); r++) {
            if (sbs.get(r).getDataSize() < room) {
                room = sbs.get(r).getDataSize();
                tightest = old.members().member(r).path();
            }
        }
        long newSize = room / before.chunkSectors() * before.chunkSectors();
        if (newSize <= before.memberSectors()) {
            throw new ArrayOperationException("array " + name + " already uses " + before.memberSectors() / 2 + " KiB of each"
                    + " member and " + tightest + " has room for " + room / 2 + " KiB: replace the members with bigger ones"
                    + " first (fail, remove, add, one at a time)");
        }
        List<Superblock> resized = new java.util.ArrayList<>();
        for (Superblock sb : sbs) {
            Superblock c = sb.copy();
            c.setSize(newSize);
            resized.add(c);
        }
        if (bitmapAt.equals("internal")) {
            try {
                WriteIntentLogBuilder.internalChunk(old.members(), resized); // room for the bigger bitmap, before anything changes
            } catch (IllegalArgumentException e) {
                throw new ArrayOperationException(e.getMessage());
            }
        }
        Geometry after = Geometry.of(before.raidDisks(), before.chunkSectors(), before.layout(), newSize);
        ReshapeWindow window = new ReshapeWindow(0);
        window.hold();
        Growth g = new Growth(null, before.arrayBytes(), old.engine(), old.members(), window, () -> parts.engine());
        growth = g;
        Parts grown;
        try {
            while (entering.sum() != 0) {
                Thread.onSpinWait();
            }
            old.engine().awaitWritesDone();
            intentLog.awaitDrained();
            long events = old.metadata().events();
            if (bitmapAt.equals("internal")) {
                int[] offset = new int[1];
                intentLog.replaceIdle(() -> {
                    WriteIntentLogBuilder.Built built = WriteIntentLogBuilder.build(BitmapTarget.parse("internal"), old.members(),
                            resized, events, before.memberSectors(), bitmapDaemonSleep());
                    offset[0] = built.internalBitmapOffset();
                    return built.log();
                });
                resized.forEach(sb -> sb.setBitmapOffset(offset[0]));
                if (intentLog.current() instanceof io.raid5d.core.intent.BitmapWriteIntentLog b) {
                    b.startDaemon();
                }
            }
            MemberDevice[] devices = new MemberDevice[before.raidDisks()];
            long[] offsets = new long[before.raidDisks()];
            for (int r = 0; r < devices.length; r++) {
                devices[r] = old.members().member(r);
                offsets[r] = resized.get(r).getDataOffset();
            }
            MemberSet members = new MemberSet(after, devices, offsets, -1, 0);
            ArrayMetadata metadata = new ArrayMetadata(members, resized, intentLog);
            for (SparePool.Idle sp : spares.idleList()) {
                Superblock own = old.metadata().superblockOfSpare(sp.device());
                own.setSize(newSize);
                metadata.restoreIdleSpare(sp.device(), own);
            }
            metadata.rewrite(events); // every member says the new size
            old.engine().detachMeters();
            grown = buildParts(members, metadata, options.meterRegistry(), null);
        } catch (IOException | RuntimeException | InterruptedException e) {
            throw releaseAfterFailure(window, e, "the size could not be changed");
        }
        parts = grown;
        try {
            window.finish(); // what waited goes to the new parts
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        growth = null;
        old.engine().close();
        old.memberOps().stop();
        LOG.warning(() -> "array " + name + ": each member now holds " + newSize / 2 + " KiB (was " + before.memberSectors() / 2
                + "), the array " + after.arrayBytes() + " bytes; resyncing the new rows");
        grown.resync().start(before.memberSectors());
        return after.arrayBytes();
    }

    private int bitmapDaemonSleep() {
        return parts.bitmap().header().map(h -> h.getDaemonSleep()).orElse(
                io.raid5d.bitmap.format.BitmapSuperblock.DEFAULT_DAEMON_SLEEP);
    }

    /**
     * A change that held every request failed before it took effect: the requests go on in the
     * old parts (which are still the array); returns the error for the caller to throw.
     */
    private IOException releaseAfterFailure(ReshapeWindow window, Exception e, String what) {
        growth = null;
        window.release();
        LOG.log(java.util.logging.Level.SEVERE, "array " + name + ": " + what, e);
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new IOException("interrupted: " + what, e);
        }
        if (e instanceof IOException io) {
            return io;
        }
        throw (RuntimeException) e;
    }

    /** Refuses a change of the array's shape unless it is steady: not growing, degraded, resyncing, rebuilding or checked. */
    private void requireSteady(Parts old, String doing) throws ArrayOperationException {
        if (growth != null) {
            throw new ArrayOperationException("array " + name + " is already growing: wait for the grow to end before "
                    + doing);
        }
        if (old.members().degraded()) {
            throw new ArrayOperationException("array " + name + " is degraded: rebuild it before " + doing);
        }
        if (old.resync().checkpoint() < old.geometry().memberSectors()) {
            throw new ArrayOperationException("array " + name + " is resyncing: let the resync finish before " + doing);
        }
        ArrayHealth health = old.sweeps().health(spares);
        if (health.rebuildRunning() || !health.scrub().equals("idle")) {
            throw new ArrayOperationException("array " + name + " is busy with a " + (health.rebuildRunning() ? "recovery"
                    : health.scrub()) + ": let it finish before " + doing);
        }
    }

    /** Starts (or resumes) the copy of {@code g} at array sector {@code from}. */
    private void startSweep(Growth g, long from) {
        int[] lastTenth = {(int) (from * 5 / g.grow.after().arraySectors())};
        ReshapeSweep sweep = new ReshapeSweep(name, g.grow, g.window, new ReshapeSweep.Target() {
            @Override
            public CompletableFuture<Void> readOld(long offset, ByteBuffer dst) {
                return g.oldEngine.sweepRead(offset, dst);
            }

            @Override
            public CompletableFuture<Void> writeNew(long offset, ByteBuffer src) {
                // whole new rows no client reaches: their passes set no bitmap bit (see copyWritesBetween)
                StripeEngine engine = parts.engine();
                long unit = g.grow.unitSectors();
                long chunk = g.grow.after().chunkSectors();
                long first = offset / 512 / unit;
                long end = (offset / 512 + src.remaining() / 512 + unit - 1) / unit;
                Object token = engine.copyWritesBetween(first * chunk, end * chunk);
                CompletableFuture<Void> written = engine.sweepWrite(offset, src);
                written.whenComplete((v, e) -> engine.copyWritesDone(token));
                return written;
            }

            @Override
            public CompletableFuture<Void> flushNew() {
                return parts.engine().flush();
            }

            @Override
            public void record(long positionSectors) throws IOException {
                parts.metadata().reshapeRecorded(positionSectors);
            }
        }, new ReshapeSweep.Progress() {
            @Override
            public void recorded(long positionSectors) {
                int fifth = (int) (positionSectors * 5 / g.grow.after().arraySectors());
                if (fifth > lastTenth[0] && fifth < 5) {
                    lastTenth[0] = fifth;
                    events.fire(ArrayListener.Kind.RESHAPE_PROGRESS, null, fifth * 20);
                }
            }

            @Override
            public void ended(long positionSectors, boolean stopped, Throwable error) {
                if (error != null) {
                    g.window.pause(); // requests go on, served from what was copied
                } else if (!stopped) {
                    finishGrow(g);
                }
            }
        }, () -> parts.engine().hasClientRequests() || g.oldEngine.hasClientRequests(), speedLimits);
        g.sweep = sweep;
        sweep.start(from);
    }

    /** The copy reached the end (on the sweep thread): the members say so, every request goes to the new geometry. */
    private void finishGrow(Growth g) {
        try {
            parts.metadata().reshapeFinished();
            g.window.finish();
        } catch (IOException | RuntimeException e) {
            LOG.log(java.util.logging.Level.SEVERE, "array " + name + ": could not record the end of the grow", e);
            g.window.pause();
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        growth = null;
        g.oldEngine.close();
        LOG.warning(() -> "array " + name + ": grown to " + g.grow.after().raidDisks() + " members, "
                + g.grow.after().arrayBytes() + " bytes");
        events.fire(ArrayListener.Kind.RESHAPE_FINISHED, null, 0);
        long resyncFrom = resyncAfterGrow;
        Parts p = parts;
        if (resyncFrom < p.geometry().memberSectors() && !p.members().degraded()) {
            resyncAfterGrow = Long.MAX_VALUE;
            p.resync().start(resyncFrom);
        }
        if (p.members().degraded()) {
            try {
                p.memberOps().activateSpare();
            } catch (IOException e) {
                LOG.log(java.util.logging.Level.SEVERE, "array " + name + ": could not activate a hot spare", e);
            }
        }
    }

    @Override
    public Optional<ReshapeStatus> reshape() {
        Growth g = growth;
        if (g == null || g.grow == null) {
            return Optional.empty();
        }
        ReshapeSweep sweep = g.sweep;
        long done = sweep != null ? sweep.progressSectors() : g.window.progress() / 512;
        return Optional.of(new ReshapeStatus(g.grow.before().raidDisks(), g.grow.after().raidDisks(), done,
                g.grow.after().arraySectors(), sweep != null ? sweep.speedKiBps() : 0, sweep != null && sweep.running()));
    }

    /** Blocks until a running grow has ended (tests, tools). */
    public void awaitGrow() throws InterruptedException {
        Growth g = growth;
        ReshapeSweep sweep = g == null ? null : g.sweep;
        if (sweep != null) {
            sweep.await();
        }
    }

    @Override
    public ArrayStatus status() {
        long done = parts.resync().checkpoint();
        String state = parts.resync().running() ? "active, resyncing"
                : done < parts.geometry().memberSectors() ? "active, resync pending" : "active";
        Growth now = growth;
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
        synchronized (growLock) {
            Growth g = growth;
            if (g != null && g.sweep != null) {
                g.sweep.stop(); // records the position it reached; or it ended the grow meanwhile
            }
            parts.bitmap().closeAfterSwitch(this::closeNow); // a grow --bitmap in progress finishes first
        }
    }

    private void closeNow() throws IOException {
        try {
            parts.memberOps().stop();
            parts.resync().stop();
            parts.sweeps().stop();
            Growth g = growth;
            if (g != null) {
                g.oldEngine.close();
            }
            parts.engine().close();
            parts.members().syncAll();
            long inSync = Math.min(parts.resync().checkpoint(), resyncAfterGrow);
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
