package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.ParityResync;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.stripe.StripeEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The array's background sweeps through the stripe cache other than the resync: the recovery of
 * a spare (recovery_offset checkpoints, progress events, the end of the recovery) and md's
 * check/repair scrub (mismatch_cnt). At most one of each runs.
 *
 * <p>Guarded by this object's monitor: the running rebuild and scrub, {@code rebuildRole},
 * {@code scrubKind}. {@link MemberOperations} holds the same monitor while it changes members,
 * so member changes, sweep starts and health snapshots happen one at a time.
 */
final class RecoverySweeps {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());
    private static final long CHECKPOINT_NANOS = 1_000_000_000L; // recovery_offset written at most once a second

    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final ArrayMetadata metadata;
    private final WriteIntentLog intentLog;
    private final StripeEngine engine;
    private final ParityResync resync;
    private final ArrayEvents events;
    private volatile StripeSweep.SpeedLimits speedLimits = StripeSweep.SpeedLimits.MD_DEFAULTS;
    // guarded by this: the running rebuild and scrub (at most one of each), scrub results
    private StripeSweep rebuild;
    private int rebuildRole = -1;
    private StripeSweep scrub;
    private String scrubKind = "idle";
    private volatile long mismatchCount;

    RecoverySweeps(String name, MemberSet members, ArrayMetadata metadata, WriteIntentLog intentLog, StripeEngine engine,
                   ParityResync resync, ArrayEvents events) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.metadata = metadata;
        this.intentLog = intentLog;
        this.engine = engine;
        this.resync = resync;
        this.events = events;
    }

    /** Starts the recovery of {@code role} from {@code fromSector}; {@code bitmapOnly}: only rows the bitmap marks dirty. */
    synchronized void startRebuild(int role, long fromSector, boolean bitmapOnly) {
        if (rebuild != null) {
            // A recovery onto a device that failed may still be ending; its last checkpoint must
            // not land on the device that replaces it.
            rebuild.stop();
        }
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
                            events.fire(ArrayListener.Kind.REBUILD_PROGRESS, path, lastMark[0] * 20);
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
        events.fire(ArrayListener.Kind.REBUILD_STARTED, path, 0);
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
        events.fire(ArrayListener.Kind.REBUILD_FINISHED, path, 0);
        events.fire(ArrayListener.Kind.SPARE_ACTIVE, path, 0);
    }

    /** The recovery running onto {@code role}, or null. */
    synchronized StripeSweep rebuildOnto(int role) {
        return rebuild != null && rebuildRole == role ? rebuild : null;
    }

    /** {@code role} was failed: a recovery onto it stops. */
    synchronized void stopRebuildOf(int role) {
        if (rebuild != null && rebuildRole == role) {
            rebuild.stop();
        }
    }

    /** See {@link Raid5Array#startScrub}. */
    synchronized void startScrub(boolean repair) throws ArrayOperationException {
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
                        events.fire(ArrayListener.Kind.CHECK_FINISHED, null, 0);
                    }
                }, engine::hasClientRequests, speedLimits);
        scrub = sweep;
        scrubKind = kind;
        events.fire(ArrayListener.Kind.CHECK_STARTED, null, 0);
        sweep.start(0);
    }

    long mismatchCount() {
        return mismatchCount;
    }

    synchronized void setSpeedLimits(StripeSweep.SpeedLimits limits) {
        speedLimits = limits;
        if (rebuild != null) {
            rebuild.setLimits(limits);
        }
        if (scrub != null) {
            scrub.setLimits(limits);
        }
    }

    synchronized StripeSweep rebuild() {
        return rebuild;
    }

    synchronized StripeSweep scrub() {
        return scrub;
    }

    /** Blocks until a running rebuild has ended. */
    void awaitRebuild() throws InterruptedException {
        StripeSweep s = rebuild();
        if (s != null) {
            s.await();
        }
    }

    /** Blocks until a running check/repair has ended. */
    void awaitScrub() throws InterruptedException {
        StripeSweep s = scrub();
        if (s != null) {
            s.await();
        }
    }

    /** Stops both sweeps (close); a stopped recovery records recovery_offset, so the next start continues there. */
    void stop() {
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
    }

    synchronized ArrayHealth health(SparePool spares) {
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
                scrub == null ? 0 : scrub.doneSectors(), mismatchCount, corrected, spares.idlePaths(), spares.detachedPaths());
    }
}
