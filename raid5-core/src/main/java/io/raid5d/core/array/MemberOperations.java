package io.raid5d.core.array;

import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
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

    MemberOperations(String name, MemberSet members, ArrayMetadata metadata, WriteIntentLog intentLog,
                     StripeEngine engine, RecoverySweeps sweeps, ArrayEvents events) {
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
    void failMember(String member) throws ArrayOperationException {
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
        sweeps.stopRebuildOf(role);
    }

    /** md's remove: detaches a faulty member (its dev_roles slot becomes unused) and closes it. */
    void removeMember(String member) throws ArrayOperationException, IOException {
        synchronized (sweeps) {
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

    /** md's add: a spare takes the missing role and is rebuilt in the background. */
    void addSpare(Path device) throws ArrayOperationException, IOException {
        synchronized (sweeps) {
            checkAttachable("add");
            attach(openMember(device), false);
        }
    }

    /** {@link Raid5Array#addSpare(Path)} with an already-open device (tests wrap devices); the array owns it from now on. */
    void addSpare(MemberDevice device) throws ArrayOperationException, IOException {
        synchronized (sweeps) {
            attach(device, false);
        }
    }

    /** {@link Raid5Array#reAddMember(Path)} with an already-open device; the array owns it from now on. */
    void reAddMember(MemberDevice device) throws ArrayOperationException, IOException {
        synchronized (sweeps) {
            attach(device, true);
        }
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
    void reAddMember(Path device) throws ArrayOperationException, IOException {
        synchronized (sweeps) {
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

    /** Lock (sweeps) held. */
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
