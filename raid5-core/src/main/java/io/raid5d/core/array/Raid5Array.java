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
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.stripe.MemberFailures;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
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
    private static final long CHECKPOINT_NANOS = 1_000_000_000L; // recovery_offset written at most once a second
    private final List<ArrayListener> listeners = new CopyOnWriteArrayList<>();
    private volatile StripeSweep.SpeedLimits speedLimits = StripeSweep.SpeedLimits.MD_DEFAULTS;
    // guarded by this: the running rebuild and scrub (at most one of each), scrub results
    private StripeSweep rebuild;
    private int rebuildRole = -1;
    private StripeSweep scrub;
    private String scrubKind = "idle";
    private volatile long mismatchCount;
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
        // A member whose bitmap copy cannot be written is failed, as md does. Off the bitmap's
        // I/O path: failing a member writes the superblocks, which updates the bitmap first.
        this.intentLog.onMemberFailure((role, error) -> CompletableFuture.runAsync(() -> engine.failMember(role, error)));
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
        engine.setMemberFailures(new MemberFailures() {
            @Override
            public void memberFailed(int role, Throwable cause) {
                recordFailure(role, cause);
            }

            @Override
            public void correctedRead(int role) {
                metadata.correctedRead(role);
                LOG.warning(() -> "array " + name + ": read error on " + members.paths().get(role)
                        + " corrected by rewriting the reconstructed block");
            }
        });
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
            if (members.degraded()) {
                // The bitmap is what a re-add recovers from; md also refuses bitmap changes now.
                throw new IllegalArgumentException("array " + name + " is degraded: rebuild it before changing its bitmap");
            }
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
        if (resumeAt < geometry.memberSectors() && !members.degraded()) {
            resync.start(resumeAt);
        }
        int lost = members.lostRole();
        if (lost >= 0) {
            fire(ArrayListener.Kind.DEGRADED_ARRAY, null, 0);
            if (members.slot(lost) == MemberSet.Slot.REBUILDING) {
                synchronized (this) {
                    startRebuild(lost, members.recoveredBelow(), false); // continue from recovery_offset
                }
            }
        }
    }

    // ------------------------------------------------------------------ degraded mode, spares, scrub (issue #5)

    public void addListener(ArrayListener l) {
        listeners.add(l);
    }

    public void removeListener(ArrayListener l) {
        listeners.remove(l);
    }

    private void fire(ArrayListener.Kind kind, String member, int percent) {
        for (ArrayListener l : listeners) {
            try {
                l.onArrayEvent(kind, member, percent);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "array " + name + ": listener failed", e);
            }
        }
    }

    /** Engine callback (I/O thread, failure lock held): record the failure before anything is acknowledged. */
    private void recordFailure(int role, Throwable cause) {
        String path = members.member(role) != null ? members.member(role).path() : "role " + role;
        LOG.severe(() -> "array " + name + ": member " + path + " is faulty"
                + (cause == null ? "" : " (" + cause.getMessage() + ")") + (members.failed() ? "; the array has failed"
                : "; running degraded"));
        try {
            metadata.memberFaulty(role);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.SEVERE, "array " + name + ": could not record the failure of " + path + " in the superblocks", e);
        }
        fire(ArrayListener.Kind.FAIL, path, 0);
        fire(members.failed() ? ArrayListener.Kind.ARRAY_FAILED : ArrayListener.Kind.DEGRADED_ARRAY, null, 0);
    }

    private int roleOf(String member) throws ArrayOperationException {
        List<String> paths = members.paths();
        String wanted = normalize(member);
        for (int r = 0; r < paths.size(); r++) {
            if (paths.get(r).equals(member) || normalize(paths.get(r)).equals(wanted)) {
                return r;
            }
        }
        throw new ArrayOperationException(member + " is not a member of array " + name);
    }

    private static String normalize(String p) {
        try {
            return Path.of(p).toAbsolutePath().normalize().toString();
        } catch (RuntimeException e) {
            return p;
        }
    }

    /** md's fail: marks the member faulty (recorded on the others before this returns); the array runs degraded. */
    public void failMember(String member) throws ArrayOperationException {
        int role = roleOf(member);
        MemberSet.Slot slot = members.slot(role);
        if (slot == MemberSet.Slot.FAULTY || slot == MemberSet.Slot.MISSING) {
            throw new ArrayOperationException(member + " is already faulty in array " + name);
        }
        if (members.degraded() && slot != MemberSet.Slot.REBUILDING) {
            throw new ArrayOperationException("array " + name + " is already degraded: failing " + member
                    + " would fail the array");
        }
        engine.failMember(role, new IOException("failed by request"));
        synchronized (this) {
            if (rebuild != null && rebuildRole == role) {
                rebuild.stop();
            }
        }
    }

    /** md's remove: detaches a faulty member (its dev_roles slot becomes unused) and closes it. */
    public synchronized void removeMember(String member) throws ArrayOperationException, IOException {
        int role = roleOf(member);
        if (members.slot(role) != MemberSet.Slot.FAULTY) {
            throw new ArrayOperationException(member + " is " + members.slot(role).name().toLowerCase().replace('_', '-')
                    + " in array " + name + "; only a faulty member can be removed (fail it first)");
        }
        MemberDevice dev = members.remove(role);
        metadata.memberRemoved(role);
        dev.close();
    }

    /** md's add: a spare takes the missing role and is rebuilt in the background. */
    public synchronized void addSpare(Path device) throws ArrayOperationException, IOException {
        checkAttachable("add");
        attach(openMember(device), false);
    }

    /** {@link #addSpare(Path)} with an already-open device (tests wrap devices); the array owns it from now on. */
    public synchronized void addSpare(MemberDevice device) throws ArrayOperationException, IOException {
        attach(device, false);
    }

    /** {@link #reAddMember(Path)} with an already-open device; the array owns it from now on. */
    public synchronized void reAddMember(MemberDevice device) throws ArrayOperationException, IOException {
        attach(device, true);
    }

    private static MemberDevice openMember(Path device) throws ArrayOperationException {
        try {
            return MemberDevices.open(device, false);
        } catch (MemberOpenException e) {
            throw new ArrayOperationException(e.getMessage());
        }
    }

    /**
     * md's re-add: a member that left comes back into its old role; if its event count is not older
     * than the bitmap's events_cleared, only the chunks the bitmap marks dirty are recovered.
     */
    public synchronized void reAddMember(Path device) throws ArrayOperationException, IOException {
        checkAttachable("re-add");
        attach(openMember(device), true);
    }

    /** Refuses before any device is opened when no role can take one. */
    private void checkAttachable(String verb) throws ArrayOperationException {
        int lost = members.lostRole();
        if (members.failed()) {
            throw new ArrayOperationException("array " + name + " has failed; it cannot be rebuilt");
        }
        if (lost < 0 || members.slot(lost) != MemberSet.Slot.MISSING) {
            throw new ArrayOperationException("array " + name + (lost < 0 ? " is not degraded" : " has no free slot ("
                    + members.paths().get(lost) + " is " + members.slot(lost).name().toLowerCase()
                    + "; remove it first)") + ": raid5d keeps no idle spares, " + verb + " a device when a member is missing");
        }
    }

    private void attach(MemberDevice dev, boolean reAdd) throws ArrayOperationException, IOException {
        String device = dev.path();
        String verb = reAdd ? "re-add" : "add";
        int lost = members.lostRole();
        if (members.failed()) {
            dev.close();
            throw new ArrayOperationException("array " + name + " has failed; it cannot be rebuilt");
        }
        if (lost < 0 || members.slot(lost) != MemberSet.Slot.MISSING) {
            dev.close();
            throw new ArrayOperationException("array " + name + (lost < 0 ? " is not degraded" : " has no free slot ("
                    + members.paths().get(lost) + " is " + members.slot(lost).name().toLowerCase()
                    + "; remove it first)") + ": raid5d keeps no idle spares, " + verb + " a device when a member is missing");
        }
        boolean ok = false;
        try {
            Superblock ref = metadata.superblock(firstInSync());
            int keepDev = -1;
            byte[] deviceUuid = new byte[16];
            new SecureRandom().nextBytes(deviceUuid);
            long dataOffset = ref.getDataOffset();
            if (reAdd) {
                Superblock own;
                try {
                    own = SuperblockIo.read(dev);
                } catch (SuperblockException e) {
                    throw new ArrayOperationException(device + " has no usable md superblock (" + e.getMessage()
                            + "); use add for a new spare");
                }
                if (!Arrays.equals(own.getSetUuid(), ref.getSetUuid())) {
                    throw new ArrayOperationException(device + " is not a member of array " + name + "; use add");
                }
                if (own.role() != lost) {
                    throw new ArrayOperationException(device + " was in role " + own.role() + ", but role " + lost
                            + " is the missing one; use add");
                }
                long cleared = intentLog.eventsCleared();
                if (Long.compareUnsigned(own.getEvents(), cleared) < 0) {
                    throw new ArrayOperationException(device + " is too old to re-add: its events " + own.getEvents()
                            + " are older than the bitmap's events_cleared " + cleared + "; use add for a full rebuild");
                }
                keepDev = own.getDevNumber();
                deviceUuid = own.getDeviceUuid();
                dataOffset = own.getDataOffset();
            }
            long need = (dataOffset + ref.getSize()) * 512L;
            if (dev.sizeBytes() < need) {
                throw new ArrayOperationException(device + " is too small for array " + name + ": it has "
                        + dev.sizeBytes() + " bytes, needs " + need);
            }
            members.attachSpare(lost, dev, dataOffset, 0);
            metadata.spareAdded(lost, keepDev, deviceUuid, dataOffset, 0);
            ok = true;
            fire(ArrayListener.Kind.SPARE_ADDED, dev.path(), 0);
            startRebuild(lost, 0, reAdd);
        } finally {
            if (!ok) {
                if (members.slot(lost) == MemberSet.Slot.REBUILDING) {
                    engine.failMember(lost, new IOException(verb + " failed"));
                } else {
                    dev.close();
                }
            }
        }
    }

    private int firstInSync() {
        for (int r = 0; r < members.count(); r++) {
            if (members.slot(r) == MemberSet.Slot.IN_SYNC) {
                return r;
            }
        }
        throw new IllegalStateException("no member in sync");
    }

    /** Lock held. */
    private void startRebuild(int role, long fromSector, boolean bitmapOnly) {
        String path = members.paths().get(role);
        long total = geometry.memberSectors();
        long[] lastCheckpoint = {System.nanoTime()};
        int[] lastMark = {(int) (fromSector * 5 / Math.max(1, total))};
        StripeSweep sweep = new StripeSweep(name, "recovery", geometry, engine.stripesPerRow(), engine::rebuild,
                bitmapOnly ? intentLog::nextDirtySector : s -> s,
                new StripeSweep.Progress() {
                    @Override
                    public void advanced(long done, long counted) {
                        members.setRecoveredBelow(done);
                        long now = System.nanoTime();
                        if (now - lastCheckpoint[0] >= CHECKPOINT_NANOS) {
                            lastCheckpoint[0] = now;
                            checkpoint(role, done);
                        }
                        int mark = (int) (done * 5 / Math.max(1, total));
                        while (lastMark[0] < mark && lastMark[0] < 4) {
                            lastMark[0]++;
                            fire(ArrayListener.Kind.REBUILD_PROGRESS, path, lastMark[0] * 20);
                        }
                    }

                    @Override
                    public void finished(long done, long counted, boolean stopped, Throwable error) {
                        rebuildFinished(role, path, done, stopped || error != null);
                    }
                }, engine::hasClientRequests, speedLimits);
        rebuild = sweep;
        rebuildRole = role;
        members.setRecoveredBelow(fromSector);
        fire(ArrayListener.Kind.REBUILD_STARTED, path, 0);
        sweep.start(fromSector);
    }

    private void checkpoint(int role, long done) {
        try {
            metadata.recoveryCheckpoint(role, done);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "array " + name + ": could not checkpoint the recovery", e);
        }
    }

    private void rebuildFinished(int role, String path, long done, boolean incomplete) {
        if (incomplete || members.slot(role) != MemberSet.Slot.REBUILDING) {
            checkpoint(role, Math.min(done, members.recoveredBelow()));
            return;
        }
        members.setRecoveredBelow(geometry.memberSectors());
        members.rebuilt(role);
        intentLog.setDegraded(members.degraded());
        try {
            metadata.recoveryDone(role);
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "array " + name + ": could not record the end of the recovery", e);
        }
        fire(ArrayListener.Kind.REBUILD_FINISHED, path, 0);
        fire(ArrayListener.Kind.SPARE_ACTIVE, path, 0);
    }

    /** Starts md's check (count mismatches) or repair (also rewrite wrong parity) in the background. */
    public synchronized void startScrub(boolean repair) throws ArrayOperationException {
        if (members.degraded()) {
            throw new ArrayOperationException("array " + name + " is degraded: there is no redundancy to check");
        }
        if (scrub != null && scrub.running()) {
            throw new ArrayOperationException("array " + name + " is already running a " + scrubKind);
        }
        if (resync.running()) {
            throw new ArrayOperationException("array " + name + " is resyncing; check after it finished");
        }
        String kind = repair ? "repair" : "check";
        mismatchCount = 0; // md resets mismatch_cnt when a check starts
        StripeSweep sweep = new StripeSweep(name, kind, geometry, engine.stripesPerRow(), s -> engine.sync(s, repair),
                s -> s, new StripeSweep.Progress() {
                    @Override
                    public void advanced(long done, long counted) {
                        mismatchCount = counted;
                    }

                    @Override
                    public void finished(long done, long counted, boolean stopped, Throwable error) {
                        mismatchCount = counted;
                        fire(ArrayListener.Kind.CHECK_FINISHED, null, 0);
                    }
                }, engine::hasClientRequests, speedLimits);
        scrub = sweep;
        scrubKind = kind;
        fire(ArrayListener.Kind.CHECK_STARTED, null, 0);
        sweep.start(0);
    }

    /** md's mismatch_cnt: sectors the running or last check/repair found inconsistent. */
    public long mismatchCount() {
        return mismatchCount;
    }

    /** md's sync_speed_min / sync_speed_max for rebuilds and scrubs started from now on (and the running ones). */
    public synchronized void setSpeedLimits(StripeSweep.SpeedLimits limits) {
        speedLimits = limits;
        if (rebuild != null) {
            rebuild.setLimits(limits);
        }
        if (scrub != null) {
            scrub.setLimits(limits);
        }
    }

    /** Blocks until a running rebuild has ended (tests, tools). */
    public void awaitRebuild() throws InterruptedException {
        StripeSweep s;
        synchronized (this) {
            s = rebuild;
        }
        if (s != null) {
            s.await();
        }
    }

    /** Blocks until a running check/repair has ended. */
    public void awaitScrub() throws InterruptedException {
        StripeSweep s;
        synchronized (this) {
            s = scrub;
        }
        if (s != null) {
            s.await();
        }
    }

    public MemberSet members() {
        return members;
    }

    public synchronized ArrayHealth health() {
        List<MemberSet.Slot> slots = new ArrayList<>();
        List<Integer> corrected = new ArrayList<>();
        for (int r = 0; r < members.count(); r++) {
            slots.add(members.slot(r));
            corrected.add(metadata.correctedReads(r));
        }
        boolean rebuilding = rebuild != null && rebuild.running();
        boolean scrubbing = scrub != null && scrub.running();
        return new ArrayHealth(slots, members.paths(), members.failed(), rebuilding,
                members.lostRole() >= 0 ? members.recoveredBelow() : geometry.memberSectors(),
                rebuilding ? rebuild.speedKiBps() : 0, scrubbing ? scrubKind : "idle",
                scrub == null ? 0 : scrub.doneSectors(), mismatchCount, corrected);
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
        if (members.failed()) {
            state = "active, FAILED";
        } else if (members.degraded()) {
            StripeSweep r;
            synchronized (this) {
                r = rebuild;
            }
            state += r != null && r.running() ? ", degraded, recovering" : ", degraded";
        }
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
            StripeSweep r;
            StripeSweep c;
            synchronized (this) {
                r = rebuild;
                c = scrub;
            }
            if (c != null) {
                c.stop();
            }
            if (r != null) {
                r.stop(); // records recovery_offset: the next start continues from there
            }
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
