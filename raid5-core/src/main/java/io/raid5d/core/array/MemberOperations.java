package io.raid5d.core.array;

import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.stripe.StripeEngine;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * md's member management on a running array: fail, remove, add (a spare for the missing role)
 * and re-add (a member that left, recovered from the bitmap), each checked first and refused
 * with a one-line reason. A spare's recovery runs in {@link RecoverySweeps}.
 *
 * <p>Changes hold the {@link RecoverySweeps} monitor (one member change or sweep start at a
 * time); {@code failMember} does not, so a failure is never held up by a running change.
 */
final class MemberOperations {
    private final String name;
    private final MemberSet members;
    private final ArrayMetadata metadata;
    private final WriteIntentLog intentLog;
    private final StripeEngine engine;
    private final RecoverySweeps sweeps;
    private final ArrayEvents events;
    private final SparePool spares;
    /**
     * Member changes (fail, remove, add, re-add, spare activation, idle spares at assembly) happen
     * one at a time under this lock. Lock order (see docs/design.md, "Locks of the array layer"):
     * BitmapControl.switchLock -> changes -> RecoverySweeps -> the engine's failure lock ->
     * ArrayMetadata -> the write-intent log; SparePool, ReadErrorLimit and ArrayEvents are leaves.
     */
    private final Object changes = new Object();
    /** The array grows: no recovery may run (its rows are in two geometries), md's order; it runs after. */
    private final java.util.function.BooleanSupplier growing;
    private final DirectIoMode directIo; // how devices added at run time are opened, as the members were
    /**
     * Activates a hot spare after a failure. Failures are reported on engine I/O threads that
     * must not wait for a member change, so activation runs here, one at a time.
     */
    private final java.util.concurrent.ExecutorService activator;

    MemberOperations(String name, MemberSet members, ArrayMetadata metadata, WriteIntentLog intentLog,
                     StripeEngine engine, RecoverySweeps sweeps, ArrayEvents events, SparePool spares, DirectIoMode directIo,
                     java.util.function.BooleanSupplier growing) {
        this.growing = growing;
        this.directIo = directIo;
        this.spares = spares;
        this.activator = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raid5-spare-" + name);
            t.setDaemon(true);
            return t;
        });
        this.name = name;
        this.members = members;
        this.metadata = metadata;
        this.intentLog = intentLog;
        this.engine = engine;
        this.sweeps = sweeps;
        this.events = events;
    }

    private int roleOf(String member) throws ArrayOperationException {
        List<String> paths = members.paths();
        for (int r = 0; r < paths.size(); r++) {
            if (SparePool.samePath(paths.get(r), member)) {
                return r;
            }
        }
        throw new ArrayOperationException(member + " is not a member of array " + name);
    }

    /** md's fail: marks the member faulty (recorded on the others before this returns); the array runs degraded. */
    void failMember(String member) throws ArrayOperationException, IOException {
        java.util.Optional<SparePool.Idle> spare = spares.idleAt(member);
        if (spare.isPresent()) {
            synchronized (changes) { // md's fail of a spare: it is faulty now, kept until removed
                spares.removeIdle(spare.get());
                spares.addDetached(new SparePool.Detached(spare.get().device(), spare.get().devNumber()));
                metadata.idleSpareFailed(spare.get().device(), spare.get().devNumber());
            }
            return;
        }
        if (spares.detachedAt(member).isPresent()) {
            throw new ArrayOperationException(member + " is already faulty in array " + name);
        }
        int role = roleOf(member);
        MemberSet.Slot slot = members.slot(role);
        if (slot == MemberSet.Slot.FAULTY || slot == MemberSet.Slot.MISSING) {
            throw new ArrayOperationException(member + " is already faulty in array " + name);
        }
        if (members.degraded() && slot != MemberSet.Slot.REBUILDING) {
            throw new ArrayOperationException("array " + name + " is already degraded: failing " + member
                    + " would fail the array");
        }
        // Only the recovery onto this device stops: a hot spare may take the role (and start its
        // own recovery) as soon as the failure is recorded.
        StripeSweep ontoFailed = sweeps.rebuildOnto(role);
        engine.failMember(role, new IOException("failed by request"));
        if (ontoFailed != null) {
            ontoFailed.stop();
        }
    }

    /** md's remove: detaches a faulty member (its dev_roles slot becomes unused) and closes it. */
    void removeMember(String member) throws ArrayOperationException, IOException {
        synchronized (changes) {
            java.util.Optional<SparePool.Idle> spare = spares.idleAt(member);
            if (spare.isPresent()) {
                spares.removeIdle(spare.get());
                metadata.idleSpareRemoved(spare.get().device());
                spare.get().device().close();
                return;
            }
            java.util.Optional<SparePool.Detached> faulty = spares.detachedAt(member);
            if (faulty.isPresent()) {
                spares.removeDetached(faulty.get());
                metadata.detachedRemoved(faulty.get().devNumber());
                faulty.get().device().close();
                return;
            }
            int role = roleOf(member);
            if (members.slot(role) != MemberSet.Slot.FAULTY) {
                throw new ArrayOperationException(member + " is " + members.slot(role).name().toLowerCase().replace('_', '-')
                        + " in array " + name + "; only a faulty member can be removed (fail it first)");
            }
            MemberDevice dev = members.remove(role);
            metadata.memberRemoved(role);
            dev.close();
        }
    }

    /**
     * md's add: a spare takes the missing role and is rebuilt in the background; with no missing
     * role it waits as an idle hot spare for the next failure (and replaces a faulty member at once).
     */
    void addSpare(String device) throws ArrayOperationException, IOException {
        synchronized (changes) {
            refuseWhileGrowing("add");
            if (takesDeviceNow()) {
                checkAttachable("add");
                attach(openMember(device), false);
            } else {
                checkSpareAddable(device);
                addIdle(openMember(device));
            }
        }
    }

    /** {@link Raid5Array#addSpare(String)} with an already-open device (tests wrap devices); the array owns it from now on. */
    void addSpare(MemberDevice device) throws ArrayOperationException, IOException {
        synchronized (changes) {
            if (growing.getAsBoolean()) {
                device.close();
            }
            refuseWhileGrowing("add");
            if (takesDeviceNow()) {
                attach(device, false);
            } else {
                try {
                    checkSpareAddable(device.path());
                } catch (ArrayOperationException e) {
                    device.close();
                    throw e;
                }
                addIdle(device);
            }
        }
    }

    private void refuseWhileGrowing(String verb) throws ArrayOperationException {
        if (growing.getAsBoolean()) {
            throw new ArrayOperationException("array " + name + " is growing: " + verb + " devices when the grow has ended"
                    + " (a recovery cannot run while its rows are in two geometries)");
        }
    }

    /** A role is missing (no device): an added device goes straight into it. */
    private boolean takesDeviceNow() {
        int lost = members.lostRole();
        return members.failed() || lost >= 0 && members.slot(lost) == MemberSet.Slot.MISSING;
    }

    private void checkSpareAddable(String device) throws ArrayOperationException {
        boolean held = members.paths().stream().anyMatch(p -> SparePool.samePath(p, device))
                || spares.idleAt(device).isPresent() || spares.detachedAt(device).isPresent();
        if (held) {
            throw new ArrayOperationException(device + " is already in array " + name);
        }
    }

    /** Lock (changes) held. Writes the array's superblock (role spare) to {@code dev} and keeps it idle. */
    private void addIdle(MemberDevice dev) throws ArrayOperationException, IOException {
        boolean ok = false;
        try {
            Superblock ref = metadata.superblock(firstInSync());
            long need = (ref.getDataOffset() + ref.getSize()) * 512L;
            if (dev.sizeBytes() < need) {
                throw new ArrayOperationException(dev.path() + " is too small for array " + name + ": it has "
                        + dev.sizeBytes() + " bytes, needs " + need);
            }
            byte[] deviceUuid = new byte[16];
            new SecureRandom().nextBytes(deviceUuid);
            int number = metadata.idleSpareAdded(dev, deviceUuid, ref.getDataOffset(), spares.devNumbers());
            spares.addIdle(new SparePool.Idle(dev, number, ref.getDataOffset()));
            ok = true;
            events.fire(ArrayListener.Kind.SPARE_ADDED, dev.path(), 0);
        } finally {
            if (!ok) {
                dev.close();
            }
        }
        activateSpare(); // a faulty member waiting for a replacement gets this one now
    }

    /** An idle spare found at assembly (its superblock says spare in this array). */
    void holdIdleSpare(MemberDevice dev, Superblock sb) {
        synchronized (changes) {
            metadata.restoreIdleSpare(dev, sb);
            spares.addIdle(new SparePool.Idle(dev, sb.getDevNumber(), sb.getDataOffset()));
        }
    }

    /** After a member failed (engine thread): a hot spare replaces it, off the failing thread. */
    void memberFailed() {
        if (spares.firstIdle().isPresent()) {
            try {
                activator.execute(() -> {
                    try {
                        activateSpare();
                    } catch (IOException | RuntimeException e) {
                        java.util.logging.Logger.getLogger(Raid5Array.class.getName()).log(java.util.logging.Level.SEVERE,
                                "array " + name + ": could not activate a hot spare", e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping: the spare stays idle and is found again at the next assembly
            }
        }
    }

    /**
     * md's spare activation: if a role is lost (faulty or missing, not already rebuilding) and
     * an idle spare waits, the faulty member leaves the role (kept attached, faulty, until
     * removed), the spare takes it and is rebuilt in the background.
     */
    void activateSpare() throws IOException {
        synchronized (changes) {
            int lost = members.lostRole();
            java.util.Optional<SparePool.Idle> next = spares.firstIdle();
            if (members.failed() || lost < 0 || next.isEmpty() || activatorStopped || growing.getAsBoolean()) {
                return;
            }
            MemberSet.Slot slot = members.slot(lost);
            if (slot == MemberSet.Slot.REBUILDING) {
                return;
            }
            if (slot == MemberSet.Slot.FAULTY) {
                sweeps.stopRebuildOf(lost);
                MemberDevice faulty = members.remove(lost);
                spares.addDetached(new SparePool.Detached(faulty, metadata.memberDetached(lost)));
            }
            SparePool.Idle spare = next.get();
            spares.removeIdle(spare);
            MemberDevice dev = spare.device();
            Superblock own = metadata.superblockOfSpare(dev);
            members.attachSpare(lost, dev, spare.dataOffsetSectors(), 0);
            try {
                metadata.spareAdded(lost, spare.devNumber(), own.getDeviceUuid(), spare.dataOffsetSectors(), 0);
            } catch (IOException | RuntimeException e) {
                engine.failMember(lost, new IOException("activating spare " + dev.path() + " failed", e));
                throw e;
            }
            sweeps.startRebuild(lost, 0, false);
        }
    }

    private volatile boolean activatorStopped;

    /** Array stopping: no spare is activated from now on (a pending activation does nothing). */
    void stop() {
        activatorStopped = true;
        activator.shutdown();
        try {
            activator.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link Raid5Array#reAddMember(String)} with an already-open device; the array owns it from now on. */
    void reAddMember(MemberDevice device) throws ArrayOperationException, IOException {
        synchronized (changes) {
            if (growing.getAsBoolean()) {
                device.close();
            }
            refuseWhileGrowing("re-add");
            attach(device, true);
        }
    }

    private MemberDevice openMember(String device) throws ArrayOperationException {
        try {
            return MemberDevices.open(device, false, directIo);
        } catch (MemberOpenException e) {
            throw new ArrayOperationException(e.getMessage());
        }
    }

    /**
     * md's re-add: a member that left comes back into its old role; if its event count is not older
     * than the bitmap's events_cleared, only the chunks the bitmap marks dirty are recovered.
     */
    void reAddMember(String device) throws ArrayOperationException, IOException {
        synchronized (changes) {
            refuseWhileGrowing("re-add");
            checkAttachable("re-add");
            attach(openMember(device), true);
        }
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

    /** Lock (changes) held. */
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
            events.fire(ArrayListener.Kind.SPARE_ADDED, dev.path(), 0);
            sweeps.startRebuild(lost, 0, reAdd);
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
}
