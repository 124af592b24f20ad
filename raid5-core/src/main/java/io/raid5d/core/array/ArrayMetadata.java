package io.raid5d.core.array;

import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.superblock.MdTimestamp;
import io.raid5d.core.superblock.MdUuid;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The md superblocks of a running array and the rules for changing them: dirty (events+1,
 * resync_offset 0) before the first write may reach a member, clean (events+1, resync_offset
 * all-ones, or the resync checkpoint) after the last write is durable. Every change is
 * written to every member and synced before the method returns.
 *
 * <p>Lock: the object's monitor guards {@code superblocks}; state changes are rare.
 */
public final class ArrayMetadata {
    /** resync_offset value meaning "in sync": all ones. */
    public static final long IN_SYNC = -1L;

    private final MemberSet members;
    private final Superblock[] superblocks; // by role; guarded by this
    /** Idle spares' superblocks (dev_roles 0xffff), written with every update; guarded by this. */
    private final java.util.Map<MemberDevice, Superblock> spareSuperblocks = new java.util.LinkedHashMap<>();
    private WriteIntentLog bitmap; // the write-intent log: md updates it before the superblocks; guarded by this

    public ArrayMetadata(MemberSet members, List<Superblock> byRole, WriteIntentLog bitmap) {
        this.members = members;
        this.superblocks = byRole.toArray(new Superblock[0]);
        this.bitmap = bitmap;
        for (int role = 0; role < superblocks.length; role++) {
            if (superblocks[role] == null) {
                int dev = devNumberOf(role);
                if (dev >= 0) {
                    // As md's super_1_sync: a device not in the array is recorded unused from the next
                    // update on. Without it, a member absent now and back after a crash one event
                    // behind would pass md's margin of one and be trusted with data it never got.
                    setRoleEverywhere(dev, Superblock.ROLE_SPARE);
                }
            }
        }
    }

    /** The array's log from now on (the array wraps the assembled log to make it switchable). */
    synchronized void useLog(WriteIntentLog log) {
        this.bitmap = log;
    }

    /** Copies of the superblocks, by role. */
    public synchronized List<Superblock> superblocks() {
        List<Superblock> out = new java.util.ArrayList<>(superblocks.length);
        for (Superblock sb : superblocks) {
            out.add(sb.copy());
        }
        return out;
    }

    /**
     * A new write-intent bitmap takes over (grow --bitmap): {@code next} (already complete and
     * durable) records the new events first, then every superblock says where the bitmap is:
     * {@code internalBitmapOffset} sectors after the superblock (bitmap feature bit set), or,
     * with 0, nowhere (feature bit clear: no bitmap, or a file md is told of at assembly).
     */
    public synchronized void switchBitmap(WriteIntentLog next, int internalBitmapOffset) throws IOException {
        long events = superblocks[0].getEvents() + 1;
        next.recordEvents(events);
        for (Superblock sb : superblocks) {
            if (internalBitmapOffset != 0) {
                sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_BITMAP_OFFSET);
                sb.setBitmapOffset(internalBitmapOffset);
            } else {
                sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_BITMAP_OFFSET);
                sb.setBitmapOffset(0);
            }
        }
        writeAll(events, superblocks[0].getResyncOffset());
    }

    /** Member sector from which a resync must run; {@code Long.MAX_VALUE} if the array is in sync. */
    public synchronized long resyncStartSector() {
        long offset = reference().getResyncOffset();
        return offset == IN_SYNC ? Long.MAX_VALUE : offset;
    }

    // ------------------------------------------------------------------ member changes (degraded mode, issue #5)

    /** The superblock of the member in {@code role}, or null when the role has none. */
    public synchronized Superblock superblock(int role) {
        Superblock sb = superblocks[role];
        return sb == null ? null : sb.copy();
    }

    /** Any present superblock (they agree on the array fields). */
    private Superblock reference() {
        for (Superblock sb : superblocks) {
            if (sb != null) {
                return sb;
            }
        }
        throw new IllegalStateException("no member has a superblock");
    }

    /** dev_number whose dev_roles entry is {@code role} in the reference table, or -1. */
    private int devNumberOf(int role) {
        Superblock sb = superblocks[role];
        if (sb != null) {
            return sb.getDevNumber();
        }
        int[] roles = reference().getDevRoles();
        for (int d = 0; d < roles.length; d++) {
            if (roles[d] == role) {
                return d;
            }
        }
        return -1;
    }

    private void setRoleEverywhere(int devNumber, int value) {
        for (Superblock sb : superblocks) {
            if (sb != null) {
                sb.setRole(devNumber, value);
            }
        }
        for (Superblock sb : spareSuperblocks.values()) {
            sb.setRole(devNumber, value);
        }
    }

    private void writeAllNext() throws IOException {
        Superblock ref = reference();
        writeAll(ref.getEvents() + 1, ref.getResyncOffset());
    }

    /**
     * md's fail: the member in {@code role} is recorded faulty (dev_roles 0xfffe) on every remaining
     * member, events+1, written and synced. Called after {@code members.markFaulty(role)}.
     */
    public synchronized void memberFaulty(int role) throws IOException {
        int dev = devNumberOf(role);
        if (dev >= 0) {
            setRoleEverywhere(dev, Superblock.ROLE_FAULTY);
        }
        writeAllNext();
    }

    /** md's remove of a faulty member: its dev_roles slot becomes unused (0xffff), events+1. */
    public synchronized void memberRemoved(int role) throws IOException {
        int dev = devNumberOf(role);
        if (dev >= 0) {
            setRoleEverywhere(dev, Superblock.ROLE_SPARE);
        }
        superblocks[role] = null;
        writeAllNext();
    }

    /**
     * A spare (or re-added member) takes the missing {@code role}: its superblock is the array's
     * with its own dev_number ({@code keepDevNumber}, or the lowest free one) and device UUID,
     * feature bit 1 (recovery_offset valid) with {@code recoveryOffset}; every member records the
     * role, events+1. Call after {@code members.attachSpare}. Returns the new superblock.
     */
    public synchronized Superblock spareAdded(int role, int keepDevNumber, byte[] deviceUuid, long dataOffset,
                                              long recoveryOffset) throws IOException {
        Superblock ref = reference();
        int dev = keepDevNumber;
        int[] roles = ref.getDevRoles();
        if (dev < 0 || (dev < roles.length && roles[dev] != Superblock.ROLE_SPARE && roles[dev] != Superblock.ROLE_FAULTY
                && roles[dev] != role)) {
            dev = freeDevNumber(List.of());
        }
        spareSuperblocks.remove(members.member(role)); // an idle spare taking the role
        Superblock sb = newDeviceSuperblock(dev, deviceUuid, dataOffset);
        sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_RECOVERY_OFFSET);
        sb.setRecoveryOffset(recoveryOffset);
        superblocks[role] = sb;
        setRoleEverywhere(dev, role);
        bitmap.memberAdded(role, members.member(role), sb); // the spare gets its copy of the bitmap first
        writeAllNext();
        return sb.copy();
    }

    /** The array's superblock for a device joining it as {@code devNumber}, with its own UUID and data offset. */
    private Superblock newDeviceSuperblock(int devNumber, byte[] deviceUuid, long dataOffset) {
        Superblock sb = reference().copy();
        sb.setDevNumber(devNumber);
        sb.setDeviceUuid(deviceUuid);
        sb.setDataOffset(dataOffset);
        sb.setCntCorrectedRead(0);
        sb.setDevFlags(0);
        return sb;
    }

    /**
     * The lowest dev_number no device uses: dev_roles says unused (0xffff) and no superblock here,
     * idle spare, or number in {@code held} (faulty members still attached) has it.
     */
    private int freeDevNumber(java.util.Collection<Integer> held) {
        int[] roles = reference().getDevRoles();
        for (int d = 0; d < roles.length; d++) {
            boolean used = roles[d] != Superblock.ROLE_SPARE || held.contains(d);
            for (Superblock sb : superblocks) {
                used |= sb != null && sb.getDevNumber() == d;
            }
            for (Superblock sb : spareSuperblocks.values()) {
                used |= sb.getDevNumber() == d;
            }
            if (!used) {
                return d;
            }
        }
        int d = roles.length;
        while (held.contains(d)) {
            d++;
        }
        return d;
    }

    /**
     * md's add to an array that needs no device: {@code dev} becomes an idle hot spare. Its
     * superblock is the array's with a free dev_number (recorded 0xffff, spare, everywhere) and
     * its own device UUID; events+1, written to every member and spare. Returns its dev_number.
     *
     * @param held dev_numbers of faulty members still attached (not free)
     */
    public synchronized int idleSpareAdded(MemberDevice dev, byte[] deviceUuid, long dataOffset,
                                           java.util.Collection<Integer> held) throws IOException {
        int number = freeDevNumber(held);
        Superblock sb = newDeviceSuperblock(number, deviceUuid, dataOffset);
        sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_RECOVERY_OFFSET);
        sb.setRecoveryOffset(0);
        setRoleEverywhere(number, Superblock.ROLE_SPARE);
        sb.setRole(number, Superblock.ROLE_SPARE);
        if (sb.hasBitmap()) {
            // As mdadm does at add: the spare carries a valid copy of the bitmap (mdadm --examine
            // treats a bitmap feature without one as damage); it is rewritten when the spare is used.
            SuperblockIo.writeInternalBitmap(dev, sb, bitmapImageFromAMember());
        }
        spareSuperblocks.put(dev, sb);
        writeAllNext();
        return number;
    }

    /** The superblock an idle spare carries (a copy). */
    public synchronized Superblock superblockOfSpare(MemberDevice dev) {
        Superblock sb = spareSuperblocks.get(dev);
        if (sb == null) {
            throw new IllegalStateException(dev.path() + " is not an idle spare");
        }
        return sb.copy();
    }

    private java.nio.ByteBuffer bitmapImageFromAMember() throws IOException {
        for (int r = 0; r < superblocks.length; r++) {
            if (superblocks[r] != null && members.writable(r) && members.readable(r, 0)) {
                try {
                    return SuperblockIo.readInternalBitmapImage(members.member(r), superblocks[r]);
                } catch (SuperblockException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        }
        throw new IOException("no member to copy the internal bitmap from");
    }

    /** An idle spare found at assembly: its superblock is written with the others from now on. */
    public synchronized void restoreIdleSpare(MemberDevice dev, Superblock sb) {
        Superblock own = sb.copy();
        own.setDevRoles(reference().getDevRoles());
        spareSuperblocks.put(dev, own);
    }

    /** md's remove of an idle spare: the others forget it (its slot stays 0xffff), events+1. */
    public synchronized void idleSpareRemoved(MemberDevice dev) throws IOException {
        spareSuperblocks.remove(dev);
        writeAllNext();
    }

    /** md's fail of an idle spare: recorded faulty (0xfffe) on every member, its superblock no longer written. */
    public synchronized void idleSpareFailed(MemberDevice dev, int devNumber) throws IOException {
        spareSuperblocks.remove(dev);
        setRoleEverywhere(devNumber, Superblock.ROLE_FAULTY);
        writeAllNext();
    }

    /**
     * A spare replaces the faulty member in {@code role}: the faulty one leaves the role but stays
     * recorded faulty (0xfffe) until removed. Nothing is written here: the spare's activation
     * ({@link #spareAdded}) writes next. Returns the faulty member's dev_number (-1 if unknown).
     */
    public synchronized int memberDetached(int role) {
        int dev = devNumberOf(role);
        superblocks[role] = null;
        return dev;
    }

    /** md's remove of a faulty member a spare replaced: its dev_roles slot becomes unused (0xffff), events+1. */
    public synchronized void detachedRemoved(int devNumber) throws IOException {
        if (devNumber >= 0) {
            setRoleEverywhere(devNumber, Superblock.ROLE_SPARE);
        }
        writeAllNext();
    }

    /** Checkpoints a rebuild: the spare's recovery_offset (only its superblock is written). */
    public synchronized void recoveryCheckpoint(int role, long recoveredSectors) throws IOException {
        Superblock sb = superblocks[role];
        if (sb == null || !members.writable(role)) {
            return;
        }
        sb.setRecoveryOffset(recoveredSectors);
        SuperblockIo.write(members.member(role), sb);
        members.member(role).sync();
    }

    /** The rebuild of {@code role} finished: feature bit 1 cleared, events+1 everywhere. Call after {@code members.rebuilt}. */
    public synchronized void recoveryDone(int role) throws IOException {
        Superblock sb = superblocks[role];
        if (sb != null) {
            sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_RECOVERY_OFFSET);
            sb.setRecoveryOffset(0);
        }
        writeAllNext();
    }

    /** md's cnt_corrected_read of {@code role} + 1; written with the next superblock update. */
    public synchronized void correctedRead(int role) {
        Superblock sb = superblocks[role];
        if (sb != null) {
            sb.setCntCorrectedRead(sb.getCntCorrectedRead() + 1);
        }
    }

    public synchronized int correctedReads(int role) {
        Superblock sb = superblocks[role];
        return sb == null ? 0 : sb.getCntCorrectedRead();
    }

    public synchronized long events() {
        return reference().getEvents();
    }

    public synchronized String uuidString() {
        return MdUuid.format(reference().getSetUuid());
    }

    // ------------------------------------------------------------------ grow (issue #18)

    /**
     * Records the grow's reshape position (array sectors; below it the new geometry holds the
     * data) on every member and idle spare, events+1, the bitmap's events first (md takes a bitmap
     * whose events lag the superblock's for stale). The grow's first record also writes its start
     * (the superblocks this metadata was made with already say so).
     */
    public synchronized void reshapeRecorded(long positionSectors) throws IOException {
        for (Superblock sb : superblocks) {
            if (sb != null) {
                sb.setReshapePosition(positionSectors);
            }
        }
        for (Superblock sb : spareSuperblocks.values()) {
            sb.setReshapePosition(positionSectors);
        }
        long events = reference().getEvents() + 1;
        bitmap.recordEvents(events);
        writeAll(events, reference().getResyncOffset());
    }

    /**
     * Writes every superblock again as this metadata has it, with events above {@code eventsAbove}
     * (a grow's start that reached only some members: they must not look fresher than the rest).
     */
    public synchronized void rewrite(long eventsAbove) throws IOException {
        long events = Math.max(reference().getEvents(), eventsAbove) + 1;
        bitmap.recordEvents(events);
        writeAll(events, reference().getResyncOffset());
    }

    /** The grow is done: the new geometry is the geometry (data offsets moved, the reshape bits cleared), events+1. */
    public synchronized void reshapeFinished() throws IOException {
        for (int r = 0; r < superblocks.length; r++) {
            if (superblocks[r] != null) {
                superblocks[r] = io.raid5d.core.grow.GrowSuperblocks.finished(List.of(superblocks[r])).get(0);
            }
        }
        for (java.util.Map.Entry<MemberDevice, Superblock> e : spareSuperblocks.entrySet()) {
            e.setValue(io.raid5d.core.grow.GrowSuperblocks.finished(List.of(e.getValue())).get(0));
        }
        long events = reference().getEvents() + 1;
        bitmap.recordEvents(events);
        writeAll(events, reference().getResyncOffset());
    }

    /** The grow recorded on the members, if one is in progress: its superblock fields (a copy of one superblock). */
    public synchronized java.util.Optional<Superblock> reshape() {
        Superblock ref = reference();
        return ref.reshapeActive() ? java.util.Optional.of(ref.copy()) : java.util.Optional.empty();
    }

    /** Before the first write: the bitmap header, then every superblock, say dirty with events+1. */
    public synchronized void markActive() throws IOException {
        long events = reference().getEvents() + 1;
        bitmap.recordEvents(events);
        writeAll(events, 0);
    }

    /**
     * After the last write is durable: the bitmap clears what it may (md_bitmap_flush) and takes
     * the new events, then the superblocks say clean (or record the resync checkpoint).
     *
     * @param inSyncUpTo member sectors known consistent from the start; {@code Long.MAX_VALUE} for all
     */
    public synchronized void markStopped(long inSyncUpTo) throws IOException {
        long events = reference().getEvents() + 1;
        boolean inSync = inSyncUpTo >= members.geometry().memberSectors();
        if (!members.degraded()) { // degraded: the bits are what a re-add recovers from
            bitmap.flushForCleanStop();
        }
        bitmap.recordEvents(events);
        writeAll(events, inSync ? IN_SYNC : inSyncUpTo);
    }

    private void writeAll(long events, long resyncOffset) throws IOException {
        long now = MdTimestamp.fromInstant(Instant.now());
        for (int role = 0; role < superblocks.length; role++) {
            Superblock sb = superblocks[role];
            if (sb == null || !members.writable(role)) {
                continue; // a lost member keeps its old superblock: that is what makes it stale
            }
            sb.setEvents(events);
            sb.setResyncOffset(resyncOffset);
            sb.setUtime(now);
            SuperblockIo.write(members.member(role), sb);
        }
        for (java.util.Map.Entry<MemberDevice, Superblock> e : spareSuperblocks.entrySet()) {
            Superblock sb = e.getValue();
            sb.setEvents(events);
            sb.setResyncOffset(resyncOffset);
            sb.setUtime(now);
            SuperblockIo.write(e.getKey(), sb);
            e.getKey().sync();
        }
        members.syncAll();
    }
}
