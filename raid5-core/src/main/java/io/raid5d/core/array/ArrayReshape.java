package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Grow;
import io.raid5d.core.grow.ReshapeSweep;
import io.raid5d.core.grow.ReshapeWindow;
import io.raid5d.core.intent.SwitchableWriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.stripe.StripeEngine;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * The changes of a running array's shape: the online grow to more members (its start, the
 * sweep's progress and end, its resume at assembly) and {@code grow --size max}. Both hold every
 * request for the moment the array's parts are replaced ({@link Host#install}); a grow then
 * routes requests through its {@link Growth} until the copy ends. See docs/design.md, "The
 * online grow".
 *
 * <p>Ownership: {@code growth} is written under {@code growLock} (a start, a stop) or by the
 * grow's end on the sweep thread; requests read it. {@code entering} counts requests between
 * reading it and handing themselves to an engine or the window.
 */
final class ArrayReshape {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());

    /** What this needs of the array. */
    interface Host {
        /** The array's parts now. */
        ArrayParts parts();

        /** The array's parts from now on (requests are held while this is called). */
        void install(ArrayParts next);

        /** New parts over {@code members}; {@code failureLock} shared with another engine, or null. */
        ArrayParts build(MemberSet members, ArrayMetadata metadata, Object failureLock);

        /** md's sync_speed_min/max as set now. */
        StripeSweep.SpeedLimits speedLimits();
    }

    private final String name;
    private final SwitchableWriteIntentLog intentLog;
    private final SparePool spares;
    private final ArrayEvents events;
    private final Host host;
    /** Non-null while the array grows or its parts are being replaced; see the class comment. */
    private volatile Growth growth;
    /** Requests on their way in (see the class comment): a start waits for them to leave. */
    final java.util.concurrent.atomic.LongAdder entering = new java.util.concurrent.atomic.LongAdder();
    /** One grow start, size change or array stop at a time; before BitmapControl's switch lock in the lock order. */
    private final Object growLock = new Object();
    /** A resync the last stop left to do, run in the new geometry once a resumed grow ends (md's order). */
    private volatile long resyncAfterGrow = Long.MAX_VALUE;

    ArrayReshape(String name, SwitchableWriteIntentLog intentLog, SparePool spares, ArrayEvents events, Host host) {
        this.name = name;
        this.intentLog = intentLog;
        this.spares = spares;
        this.events = events;
        this.host = host;
    }

    /** The grow (or size change) in progress, or null. */
    Growth growth() {
        return growth;
    }

    boolean growing() {
        return growth != null;
    }

    /**
     * At construction, for an array assembled in the middle of a grow: the old geometry's engine
     * over {@code members}' first roles at their old data offsets, next to the array's engine.
     */
    void resume(Raid5Array.GrowResume resume, MemberSet members, StripeEngine.Config config) {
        ArrayParts parts = host.parts();
        Grow grow = resume.grow();
        int n = grow.before().raidDisks();
        MemberDevice[] old = new MemberDevice[n];
        for (int r = 0; r < n; r++) {
            old[r] = members.slot(r) == MemberSet.Slot.IN_SYNC ? members.member(r) : null;
        }
        MemberSet oldMembers = new MemberSet(grow.before(), old, resume.oldDataOffsets(), -1, 0);
        StripeEngine oldEngine = new StripeEngine(name, oldMembers, intentLog, config,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), parts.engine().failureLock());
        oldEngine.setMemberFailures(Growth.mirrored(parts.recorder(), members));
        parts.engine().setMemberFailures(Growth.mirrored(parts.recorder(), oldMembers));
        growth = new Growth(grow, oldEngine, oldMembers, new ReshapeWindow(resume.positionSectors() * 512),
                () -> host.parts().engine());
    }

    /**
     * At the array's start: resumes a grow assembly found; true if it did. md's order: the
     * reshape first (it writes every row past its position with fresh parity), then the resync
     * from {@code resumeAt} of what the bitmap says was being written, in the new geometry.
     */
    boolean resumeAtStart(long resumeAt) {
        Growth g = growth;
        if (g == null) {
            return false;
        }
        resyncAfterGrow = resumeAt;
        LOG.warning(() -> "array " + name + ": resuming the grow from " + g.grow.before().raidDisks() + " to "
                + g.grow.after().raidDisks() + " members at array sector " + g.window.safe() / 512);
        startSweep(g, g.window.safe() / 512);
        return true;
    }

    void setSpeedLimits(StripeSweep.SpeedLimits limits) {
        Growth g = growth;
        if (g != null && g.sweep != null) {
            g.sweep.setLimits(limits);
        }
    }

    /** The resync a resumed grow still owes, from this member sector ({@code Long.MAX_VALUE}: none). */
    long resyncAfterGrow() {
        return resyncAfterGrow;
    }

    /** The array stops: a running copy stops and records where it is, then {@code closing} runs, no grow starting meanwhile. */
    void whileStopped(BitmapControl.IoAction closing) throws IOException {
        synchronized (growLock) {
            Growth g = growth;
            if (g != null && g.sweep != null) {
                g.sweep.stop(); // records the position it reached; or it ended the grow meanwhile
            }
            closing.run();
        }
    }

    /** Closing: the old geometry's engine of a grow that did not end (its requests drain). */
    void closeOldEngine() {
        Growth g = growth;
        if (g != null) {
            g.oldEngine.close();
        }
    }

    void grow(int raidDisks) throws ArrayOperationException, IOException {
        synchronized (growLock) {
            ArrayOperationException[] refused = new ArrayOperationException[1];
            host.parts().bitmap().closeAfterSwitch(() -> { // no bitmap switch meanwhile
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
        ArrayParts old = host.parts();
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
        Growth g = new Growth(grow, old.engine(), old.members(), window, () -> host.parts().engine());
        growth = g; // from now on no spare is activated (MemberOperations asks), none in the old geometry
        ArrayParts grown;
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
            grown = host.build(members, metadata, old.engine().failureLock());
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
        host.install(grown);
        old.memberOps().stop(); // the old parts' spare activator
        LOG.warning(() -> "array " + name + ": growing from " + before.raidDisks() + " to " + raidDisks + " members (data"
                + " offset moves down " + grow.offsetShift() + " sectors)");
        events.fire(ArrayListener.Kind.RESHAPE_STARTED, null, 0);
        window.release(); // before the sweep's first step claims its range
        startSweep(g, 0);
    }

    long growSize() throws ArrayOperationException, IOException {
        synchronized (growLock) {
            ArrayOperationException[] refused = new ArrayOperationException[1];
            long[] grownTo = new long[1];
            host.parts().bitmap().closeAfterSwitch(() -> { // no bitmap switch meanwhile
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
        ArrayParts old = host.parts();
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
        Growth g = new Growth(null, before.arrayBytes(), old.engine(), old.members(), window, () -> host.parts().engine());
        growth = g;
        ArrayParts grown;
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
            grown = host.build(members, metadata, null);
        } catch (IOException | RuntimeException | InterruptedException e) {
            throw releaseAfterFailure(window, e, "the size could not be changed");
        }
        host.install(grown);
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
        return host.parts().bitmap().header().map(h -> h.getDaemonSleep()).orElse(
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
    private void requireSteady(ArrayParts old, String doing) throws ArrayOperationException {
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
                StripeEngine engine = host.parts().engine();
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
                return host.parts().engine().flush();
            }

            @Override
            public void record(long positionSectors) throws IOException {
                host.parts().metadata().reshapeRecorded(positionSectors);
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
        }, () -> host.parts().engine().hasClientRequests() || g.oldEngine.hasClientRequests(), host.speedLimits());
        g.sweep = sweep;
        sweep.start(from);
    }

    /** The copy reached the end (on the sweep thread): the members say so, every request goes to the new geometry. */
    private void finishGrow(Growth g) {
        try {
            host.parts().metadata().reshapeFinished();
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
        ArrayParts p = host.parts();
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

    Optional<ReshapeStatus> status() {
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
    void awaitGrow() throws InterruptedException {
        Growth g = growth;
        ReshapeSweep sweep = g == null ? null : g.sweep;
        if (sweep != null) {
            sweep.await();
        }
    }
}
