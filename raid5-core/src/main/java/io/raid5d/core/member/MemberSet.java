package io.raid5d.core.member;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The members of an assembled array in role order, their health, and where each chunk row
 * lives on them. Each member holds row {@code r}'s chunk at {@code r * chunk} bytes after its
 * md data offset.
 *
 * <p>Health (md's In_sync / Faulty / recovery): every role is {@link Slot#IN_SYNC}, or at most
 * one role is "lost": {@link Slot#FAULTY} (failed, device still attached until removed),
 * {@link Slot#MISSING} (no device), or {@link Slot#REBUILDING} (a spare being recovered: written
 * like an in-sync member, read only below {@link #recoveredBelow()}). A second lost role makes
 * the array {@link #failed()}: requests then fail with EIO.
 *
 * <p>Threads: slot changes are rare and go through this object's monitor; the engine's hot
 * paths read the volatile snapshots ({@code lost}, {@code failed}, {@code recoveredBelow}, and
 * the device array, replaced as a whole copy-on-write).
 */
public final class MemberSet implements AutoCloseable {
    /** The state of one role. */
    public enum Slot { IN_SYNC, FAULTY, MISSING, REBUILDING }

    private final Geometry geometry;
    private volatile MemberDevice[] byRole; // copy-on-write; null entries for MISSING roles
    private volatile long[] dataOffsetBytes; // by role: md lets each member have its own; copy-on-write
    private final Slot[] slots; // guarded by this
    private volatile int lost = -1; // the role that is not in sync, or -1
    private volatile boolean failed; // more than one role lost
    private volatile long recoveredBelow; // member sectors of the REBUILDING role already recovered

    public MemberSet(Geometry geometry, List<MemberDevice> byRole, long[] dataOffsetSectors) {
        this(geometry, byRole.toArray(new MemberDevice[0]), dataOffsetSectors, null, 0);
    }

    /**
     * A possibly degraded set: {@code byRole[r] == null} for a missing role; {@code rebuildingRole}
     * (or -1) names a spare in recovery, recovered below {@code recoveredBelow} member sectors.
     */
    public MemberSet(Geometry geometry, MemberDevice[] byRole, long[] dataOffsetSectors, int rebuildingRole,
                     long recoveredBelow) {
        this(geometry, byRole, dataOffsetSectors, null, 0);
        synchronized (this) {
            if (rebuildingRole >= 0) {
                slots[rebuildingRole] = Slot.REBUILDING;
                this.recoveredBelow = recoveredBelow;
            }
            refresh();
        }
    }

    private MemberSet(Geometry geometry, MemberDevice[] byRole, long[] dataOffsetSectors, Void unused, int ignored) {
        if (byRole.length != geometry.raidDisks() || dataOffsetSectors.length != byRole.length) {
            throw new IllegalArgumentException("need " + geometry.raidDisks() + " members, got " + byRole.length);
        }
        this.geometry = geometry;
        this.byRole = byRole.clone();
        long[] offsets = new long[dataOffsetSectors.length];
        this.slots = new Slot[byRole.length];
        for (int i = 0; i < dataOffsetSectors.length; i++) {
            offsets[i] = dataOffsetSectors[i] * 512L;
            slots[i] = byRole[i] == null ? Slot.MISSING : Slot.IN_SYNC;
        }
        this.dataOffsetBytes = offsets;
        refresh();
    }

    public Geometry geometry() {
        return geometry;
    }

    /** The device in {@code role}; null when the role is missing. */
    public MemberDevice member(int role) {
        return byRole[role];
    }

    public int count() {
        return byRole.length;
    }

    /** Paths by role; "missing" for a role without a device. */
    public List<String> paths() {
        MemberDevice[] devs = byRole;
        List<String> paths = new ArrayList<>(devs.length);
        for (MemberDevice m : devs) {
            paths.add(m == null ? "missing" : m.path());
        }
        return paths;
    }

    /** Byte address on member {@code role} of the first byte of its chunk in row {@code row}. */
    public long rowAddress(int role, long row) {
        return dataOffsetBytes[role] + row * geometry.chunkBytes();
    }

    // ------------------------------------------------------------------ health

    public synchronized Slot slot(int role) {
        return slots[role];
    }

    /** The role that is not in sync (faulty, missing or rebuilding), or -1 when all are. */
    public int lostRole() {
        return lost;
    }

    /** True when the array is degraded: a role is not in sync (a rebuilding spare counts). */
    public boolean degraded() {
        return lost >= 0;
    }

    /** True when more than one role is lost: the array cannot serve. */
    public boolean failed() {
        return failed;
    }

    /** Member sectors the rebuilding role already holds (valid while a role is REBUILDING). */
    public long recoveredBelow() {
        return recoveredBelow;
    }

    /** Member writes go to {@code role}: it is in sync or being rebuilt. */
    public boolean writable(int role) {
        MemberDevice[] devs = byRole;
        int l = lost;
        return devs[role] != null && (role != l || slotVolatile(role) == Slot.REBUILDING) && !failedRole(role);
    }

    /** {@code role} holds valid data for member sectors below {@code endSector}. */
    public boolean readable(int role, long endSector) {
        if (role != lost) {
            return !failedRole(role);
        }
        return slotVolatile(role) == Slot.REBUILDING && endSector <= recoveredBelow;
    }

    private volatile Slot[] slotSnapshot; // copy of slots for lock-free readers

    private Slot slotVolatile(int role) {
        return slotSnapshot[role];
    }

    private boolean failedRole(int role) {
        Slot s = slotSnapshot[role];
        return s == Slot.FAULTY || s == Slot.MISSING;
    }

    /** Marks {@code role} faulty; returns false if it already was not in sync (nothing changed). */
    public synchronized boolean markFaulty(int role) {
        if (slots[role] == Slot.FAULTY || slots[role] == Slot.MISSING) {
            return false;
        }
        slots[role] = Slot.FAULTY;
        refresh();
        return true;
    }

    /** Detaches a faulty member (md's remove); returns its device, for the caller to close. */
    public synchronized MemberDevice remove(int role) {
        if (slots[role] != Slot.FAULTY) {
            throw new IllegalStateException("role " + role + " is " + slots[role] + ", not faulty");
        }
        MemberDevice dev = byRole[role];
        MemberDevice[] devs = byRole.clone();
        devs[role] = null;
        byRole = devs;
        slots[role] = Slot.MISSING;
        refresh();
        return dev;
    }

    /** Puts a spare into the missing {@code role}, to be rebuilt from {@code recoveredBelow}. */
    public synchronized void attachSpare(int role, MemberDevice dev, long dataOffsetSectors, long recoveredFrom) {
        if (slots[role] != Slot.MISSING) {
            throw new IllegalStateException("role " + role + " is " + slots[role] + ", not missing");
        }
        long[] offsets = dataOffsetBytes.clone();
        offsets[role] = dataOffsetSectors * 512L;
        dataOffsetBytes = offsets;
        MemberDevice[] devs = byRole.clone();
        devs[role] = dev;
        recoveredBelow = recoveredFrom;
        byRole = devs;
        slots[role] = Slot.REBUILDING;
        refresh();
    }

    /** The rebuild of the spare in {@code role} advanced to {@code sector}. */
    public void setRecoveredBelow(long sector) {
        recoveredBelow = sector;
    }

    /** The spare in {@code role} is fully rebuilt: it is in sync now. */
    public synchronized void rebuilt(int role) {
        if (slots[role] == Slot.REBUILDING) {
            slots[role] = Slot.IN_SYNC;
            refresh();
        }
    }

    private void refresh() { // monitor held (or constructor)
        int l = -1;
        int n = 0;
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != Slot.IN_SYNC) {
                n++;
                if (l < 0 || slots[l] == Slot.REBUILDING) {
                    l = i; // a faulty/missing role wins over a rebuilding one in a failed array
                }
            }
        }
        slotSnapshot = slots.clone();
        lost = l;
        failed = n > 1;
    }

    /** Syncs every member writes go to. */
    public void syncAll() throws IOException {
        MemberDevice[] devs = byRole;
        for (int r = 0; r < devs.length; r++) {
            if (writable(r)) {
                devs[r].sync();
            }
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (MemberDevice m : byRole) {
            if (m == null) {
                continue;
            }
            try {
                m.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public synchronized String toString() {
        return "MemberSet" + Arrays.toString(slots);
    }
}
