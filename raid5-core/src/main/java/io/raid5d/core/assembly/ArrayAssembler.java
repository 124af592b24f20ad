package io.raid5d.core.assembly;

import io.raid5d.core.array.ArrayMetadata;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.LeftOutMember;
import io.raid5d.core.array.SpareMember;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.bitmap.FileBitmapStore;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.core.superblock.MdUuid;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a list of member paths into an array, as mdadm --assemble and the kernel do: reads
 * every superblock; the freshest decides which members take part, and members it does not
 * vouch for (out of date, recorded faulty or removed) are left out, each named in one log line,
 * so a clean array starts degraded without them. Refused, with a message naming the member:
 * another array's member, a duplicate role, a bad checksum, a member too small for the size the
 * superblock claims, and too few fresh members (unless forced). Nothing is written while checking.
 */
public final class ArrayAssembler {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ArrayAssembler.class.getName());
    private static final int KNOWN_FEATURES = Superblock.FEATURE_BITMAP_OFFSET | Superblock.FEATURE_RECOVERY_OFFSET
            | Superblock.FEATURE_RESHAPE_ACTIVE | Superblock.FEATURE_NEW_OFFSET; // a grow raid5d resumes (checked below)

    /** Why a dirty array that is also degraded is not started without --force (say it the same way everywhere). */
    public static final String WRITE_HOLE = "it was not stopped cleanly and is degraded: stripes written at the crash may"
            + " have data and parity that disagree, and with a member missing the missing member's data in those"
            + " stripes would be reconstructed wrong without any error (the RAID-5 write hole). Assemble with --force"
            + " to start it anyway (data in stripes written at the crash may be corrupt), or add the missing member"
            + " back while it is stopped";

    private ArrayAssembler() {
    }

    /**
     * Opens and checks the members, all of them (no degraded set), not in the middle of a grow
     * (their rows are in two geometries); the caller owns the result.
     */
    public static AssembledMembers open(List<String> paths, boolean readOnly) throws AssemblyException {
        AssembledMembers am = open(paths, readOnly, false, false, DirectIoMode.AUTO);
        if (am.growResume() != null) {
            try {
                am.close();
            } catch (IOException ignored) {
                // nothing was written
            }
            throw new AssemblyException("the array is growing (at array sector " + am.growResume().positionSectors() + " of "
                    + am.growResume().grow().after().arraySectors() + "): assemble it so the grow finishes first");
        }
        return am;
    }

    private static AssembledMembers open(List<String> paths, boolean readOnly, boolean allowDegraded, boolean force,
                                         DirectIoMode directIo) throws AssemblyException {
        List<MemberDevice> devices = new ArrayList<>();
        try {
            List<Superblock> sbs = new ArrayList<>();
            for (String p : paths) {
                MemberDevice dev = MemberDevices.open(p, readOnly, directIo);
                devices.add(dev);
                sbs.add(readSuperblock(dev));
            }
            AssembledMembers result = check(devices, sbs, allowDegraded, force);
            devices.clear(); // ownership moved to the result
            return result;
        } catch (MemberOpenException e) {
            throw new AssemblyException(e.getMessage(), e);
        } finally {
            for (MemberDevice d : devices) {
                try {
                    d.close();
                } catch (IOException ignored) {
                    // already failing; the first error is the one to report
                }
            }
        }
    }

    /**
     * Checks already-open member devices (e.g. wrapped in fault injectors), allowing a degraded set
     * (one role missing, or a member in recovery). On success the result owns the devices; on
     * failure the caller still does.
     */
    public static AssembledMembers openDevices(List<MemberDevice> devices) throws AssemblyException {
        return openDevices(devices, false);
    }

    /**
     * As {@link #openDevices(List)}; {@code force} takes the freshest out-of-date member back in
     * when too few are fresh. Devices left out are closed; the result owns the others.
     */
    public static AssembledMembers openDevices(List<MemberDevice> devices, boolean force) throws AssemblyException {
        List<Superblock> sbs = new ArrayList<>();
        for (MemberDevice dev : devices) {
            sbs.add(readSuperblock(dev));
        }
        return check(devices, sbs, true, force);
    }

    /** {@link #assembleDevices(String, List, ArrayOptions, boolean)} without force. */
    public static Raid5Array assembleDevices(String name, List<MemberDevice> devices, ArrayOptions options)
            throws AssemblyException, IOException {
        return assembleDevices(name, devices, options, false);
    }

    /**
     * Assembles and starts an array over already-open devices (possibly degraded). {@code force}
     * starts a dirty degraded array despite the write hole. On success the array owns the devices.
     */
    public static Raid5Array assembleDevices(String name, List<MemberDevice> devices, ArrayOptions options, boolean force)
            throws AssemblyException, IOException {
        return start(name, openDevices(devices, force), options, force, null);
    }

    /** Assembles a writable array with default options and {@code ioThreads} member I/O threads, and starts it. */
    public static Raid5Array assemble(String name, List<String> paths, int ioThreads) throws AssemblyException, IOException {
        return assemble(name, paths, ArrayOptions.defaults().withIoThreads(ioThreads));
    }

    /**
     * Assembles a writable array and starts it (marks it dirty, resyncs after an unclean stop):
     * stripe cache size, worker and I/O threads, metrics registry and write-intent log come
     * from {@code options}.
     */
    public static Raid5Array assemble(String name, List<String> paths, ArrayOptions options) throws AssemblyException, IOException {
        return assemble(name, paths, options, false, null);
    }

    /**
     * As {@link #assemble(String, List, ArrayOptions)}; a set with one member missing (or in
     * recovery) runs degraded. A dirty degraded array is refused ({@link #WRITE_HOLE}) unless {@code force}.
     */
    public static Raid5Array assemble(String name, List<String> paths, ArrayOptions options, boolean force)
            throws AssemblyException, IOException {
        return assemble(name, paths, options, force, null);
    }

    /** As {@link #assemble(String, List, ArrayOptions, boolean, Path)} without force. */
    public static Raid5Array assemble(String name, List<String> paths, ArrayOptions options, Path bitmapFile)
            throws AssemblyException, IOException {
        return assemble(name, paths, options, false, bitmapFile);
    }

    /**
     * As {@link #assemble(String, List, ArrayOptions, boolean)}, with the array's bitmap in the file
     * {@code bitmapFile} (null: the superblocks say which bitmap, as usual). md keeps a file bitmap
     * outside the superblocks, so mdadm is told the file at assembly; so is this. The file is locked
     * exclusively (a busy file is refused by name) until the array stops or the bitmap is removed,
     * and must belong to this array (same UUID and size).
     */
    public static Raid5Array assemble(String name, List<String> paths, ArrayOptions options, boolean force,
                                      Path bitmapFile) throws AssemblyException, IOException {
        return start(name, open(paths, false, true, force, options.directIo()), options, force, bitmapFile);
    }

    private static Raid5Array start(String name, AssembledMembers am, ArrayOptions options, boolean force,
                                    Path bitmapFile) throws AssemblyException, IOException {
        for (LeftOutMember m : am.leftOut()) {
            LOG.warning("array " + name + ": " + m.describe());
        }
        for (String f : am.forced()) {
            LOG.warning("array " + name + ": " + f);
        }
        if (am.members().degraded() && !am.reference().isClean() && !force) {
            am.close();
            throw new AssemblyException("array " + name + " (" + MdUuid.format(am.reference().getSetUuid()) + ") is not"
                    + " started: " + WRITE_HOLE);
        }
        try {
            WriteIntentLog log = bitmapFile == null ? options.writeIntentLog().open(am.members(), am.superblocks())
                    : openBitmapFile(bitmapFile, am.reference());
            ArrayMetadata metadata = new ArrayMetadata(am.members(), am.superblocks(), log);
            Raid5Array array;
            try {
                array = new Raid5Array(name, am.members(), metadata, options, log, am.growResume());
            } catch (RuntimeException e) {
                log.close();
                throw e;
            }
            array.holdIdleSpares(am.spares());
            array.recordLeftOut(am.leftOut());
            array.start();
            return array;
        } catch (IOException | RuntimeException e) {
            am.close();
            throw e;
        }
    }

    private static WriteIntentLog openBitmapFile(Path file, Superblock ref) throws AssemblyException, IOException {
        String arrayId = MdUuid.format(ref.getSetUuid()) + " (" + ref.getSetName() + ")";
        if (ref.hasBitmap()) {
            throw new AssemblyException("array " + arrayId + " has an internal bitmap; bitmap file " + file
                    + " cannot be used with it");
        }
        FileBitmapStore store;
        try {
            store = FileBitmapStore.open(file);
        } catch (IOException e) {
            throw new AssemblyException(e.getMessage(), e);
        }
        try {
            ByteBuffer head = store.readArea();
            BitmapSuperblock header = BitmapSuperblock.decode(head);
            if (!Arrays.equals(header.getUuid(), ref.getSetUuid())) {
                throw new AssemblyException(file + ": bitmap file belongs to array " + MdUuid.format(header.getUuid())
                        + ", not " + arrayId);
            }
            return BitmapWriteIntentLog.open(store, ref);
        } catch (BitmapFormatException e) {
            store.close();
            throw new AssemblyException(e.getMessage(), e);
        } catch (IOException | RuntimeException | AssemblyException e) {
            store.close();
            throw e;
        }
    }

    private static Superblock readSuperblock(MemberDevice dev) throws AssemblyException {
        try {
            return SuperblockIo.readReshaping(dev); // a grow in progress is resumed; check() refuses other reshapes
        } catch (SuperblockException | IOException e) {
            String msg = e.getMessage();
            throw new AssemblyException(msg != null && msg.contains(dev.path()) ? msg : dev.path() + ": " + msg, e);
        }
    }

    /**
     * Decides, by mdadm's Assemble.c and the kernel's rules, which devices take part: the freshest
     * superblock (highest events among members whose own superblock says they are active) is the
     * reference. A member is left out when its events are older than the reference's by more
     * than one (md's margin), when the reference records its slot as faulty or unused, or when
     * its own superblock records the reference as failed (split brain; not with force). With
     * {@code force}, when too few are fresh, the freshest out-of-date member is taken back in
     * with its event count raised, as {@code mdadm --assemble --force} does. Included members
     * take the reference's array-wide state (events, resync offset, dev_roles, bitmap position),
     * as md rewrites every superblock from its own state. Nothing is written here.
     */
    private static AssembledMembers check(List<MemberDevice> devices, List<Superblock> sbs, boolean allowDegraded,
                                          boolean force) throws AssemblyException {
        if (devices.isEmpty()) {
            throw new AssemblyException("no members given");
        }
        int newest = -1;
        for (int i = 0; i < sbs.size(); i++) {
            // mdadm's most_recent: among devices whose own superblock says active, the highest events
            if (Superblock.isActiveRole(sbs.get(i).role())
                    && (newest < 0 || Long.compareUnsigned(sbs.get(i).getEvents(), sbs.get(newest).getEvents()) > 0)) {
                newest = i;
            }
        }
        if (newest < 0) {
            newest = 0; // only spares or faulty devices: the checks below say what is wrong
            for (int i = 1; i < sbs.size(); i++) {
                if (Long.compareUnsigned(sbs.get(i).getEvents(), sbs.get(newest).getEvents()) > 0) {
                    newest = i;
                }
            }
        }
        Superblock ref = sbs.get(newest);
        String refPath = devices.get(newest).path();
        String arrayId = MdUuid.format(ref.getSetUuid()) + " (" + ref.getSetName() + ")";
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            String path = devices.get(i).path();
            if (!Arrays.equals(sb.getSetUuid(), ref.getSetUuid())) {
                throw new AssemblyException(path + " belongs to another array: UUID " + MdUuid.format(sb.getSetUuid())
                        + " (" + sb.getSetName() + "), not " + arrayId + " like " + refPath);
            }
        }
        if (ref.getLevel() != 5) {
            throw new AssemblyException(refPath + ": array " + arrayId + " is RAID level " + ref.getLevel() + "; raid5d runs only RAID-5");
        }
        for (int i = 0; i < sbs.size(); i++) {
            int unknown = sbs.get(i).getFeatureMap() & ~KNOWN_FEATURES;
            if (unknown != 0) {
                throw new AssemblyException(devices.get(i).path() + ": array " + arrayId
                        + " uses md features raid5d does not support (feature map 0x"
                        + Integer.toHexString(sbs.get(i).getFeatureMap()) + ")");
            }
        }
        // Idle spares (their own and the newest superblock say 0xffff) ride along; the rest are members.
        List<SpareMember> spares = new ArrayList<>();
        List<MemberDevice> activeDevices = new ArrayList<>();
        List<Superblock> activeSbs = new ArrayList<>();
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            if (sb.role() == Superblock.ROLE_SPARE && ref.roleOf(sb.getDevNumber()) == Superblock.ROLE_SPARE
                    && !sb.hasRecoveryOffset() && sb != ref) {
                checkSameGeometry(devices.get(i).path(), sb, refPath, ref);
                long needBytes = (sb.getDataOffset() + ref.getSize()) * 512L;
                if (devices.get(i).sizeBytes() < needBytes) {
                    throw new AssemblyException(devices.get(i).path() + " is too small to be a spare of array " + arrayId
                            + ": it has " + devices.get(i).sizeBytes() + " bytes, needs " + needBytes);
                }
                spares.add(new SpareMember(devices.get(i), sb));
            } else {
                activeDevices.add(devices.get(i));
                activeSbs.add(sb);
            }
        }
        int raidDisks = ref.getRaidDisks();
        if (!allowDegraded && activeDevices.size() != raidDisks || activeDevices.size() > 2 * raidDisks) {
            throw new AssemblyException("array " + arrayId + " has " + raidDisks + " raid devices but " + activeDevices.size()
                    + " members were given");
        }
        Layout layout;
        Geometry geometry;
        try {
            layout = ref.getLayout();
            geometry = Geometry.of(raidDisks, ref.getChunkSectors(), layout, ref.getSize());
        } catch (IllegalArgumentException e) {
            throw new AssemblyException(refPath + ": " + e.getMessage(), e);
        }
        Raid5Array.GrowResume resume = growResume(ref, refPath, arrayId, geometry);
        MemberDevice[] byRole = new MemberDevice[raidDisks];
        Superblock[] sbByRole = new Superblock[raidDisks];
        List<LeftOutMember> leftOut = new ArrayList<>();
        List<MemberDevice> leftOutDevices = new ArrayList<>();
        for (int i = 0; i < activeSbs.size(); i++) {
            Superblock sb = activeSbs.get(i);
            MemberDevice dev = activeDevices.get(i);
            String path = dev.path();
            checkSameGeometry(path, sb, refPath, ref);
            int own = sb.role();
            int recorded = ref.roleOf(sb.getDevNumber()); // what the freshest superblock says of this member
            long behind = ref.getEvents() - sb.getEvents();
            // md trusts a member's own record of its role only if it is as fresh as the reference
            int role = behind > 0 || recorded == Superblock.ROLE_FAULTY ? recorded : own;
            int wouldBe = Superblock.isActiveRole(role) ? role : own;
            LeftOutMember.Reason reason = null;
            if (!Superblock.isActiveRole(own) && sb != ref) {
                if (own == Superblock.ROLE_FAULTY || own == Superblock.ROLE_SPARE) {
                    reason = LeftOutMember.Reason.REMOVED; // a spare in recovery that the array forgot, or self-faulty
                } else {
                    throw new AssemblyException(path + " is in role 0x" + Integer.toHexString(own) + " in array " + arrayId
                            + ", not an active member");
                }
            } else if (behind > 1) {
                reason = LeftOutMember.Reason.OUT_OF_DATE;
            } else if (sb != ref && !force && !Superblock.isActiveRole(sb.roleOf(ref.getDevNumber()))) {
                reason = LeftOutMember.Reason.REPORTS_FRESHEST_FAILED;
            } else if (role == Superblock.ROLE_FAULTY) {
                reason = LeftOutMember.Reason.FAULTY;
            } else if (!Superblock.isActiveRole(role)) {
                reason = LeftOutMember.Reason.REMOVED;
            } else if (role >= raidDisks) {
                throw new AssemblyException(path + " is in role " + role + " in array " + arrayId + ", which has only "
                        + raidDisks + " raid devices");
            }
            if (reason == null && byRole[role] != null) {
                Superblock other = sbByRole[role];
                int c = Long.compareUnsigned(sb.getEvents(), other.getEvents());
                if (c == 0) {
                    throw new AssemblyException(path + " and " + byRole[role].path() + " both claim role " + role
                            + " in array " + arrayId);
                }
                // mdadm keeps the newer of two devices claiming one slot; the older one is out of date
                MemberDevice older = c > 0 ? byRole[role] : dev;
                Superblock olderSb = c > 0 ? other : sb;
                leftOut.add(new LeftOutMember(older.path(), role, olderSb.getDevNumber(), olderSb.getEvents(),
                        ref.getEvents(), refPath, ref.roleOf(olderSb.getDevNumber()), LeftOutMember.Reason.OUT_OF_DATE));
                leftOutDevices.add(older);
                if (c < 0) {
                    continue;
                }
            }
            if (reason != null) {
                leftOut.add(new LeftOutMember(path, wouldBe, sb.getDevNumber(), sb.getEvents(), ref.getEvents(), refPath,
                        recorded, reason));
                leftOutDevices.add(dev);
                continue;
            }
            long needBytes = (sb.getDataOffset() + ref.getSize()) * 512L;
            if (dev.sizeBytes() < needBytes) {
                throw new AssemblyException(path + " is too small for array " + arrayId + ": it has " + dev.sizeBytes()
                        + " bytes, the superblock needs " + needBytes + " (data offset + used size); truncated?");
            }
            byRole[role] = dev;
            sbByRole[role] = sb;
        }
        if (!allowDegraded && !leftOut.isEmpty()) {
            StringBuilder why = new StringBuilder();
            for (LeftOutMember m : leftOut) {
                why.append(why.length() == 0 ? "" : "; ").append(m.describe());
            }
            throw new AssemblyException("array " + arrayId + ": not every member is in the array: " + why);
        }
        List<String> forced = new ArrayList<>();
        while (force && outCount(byRole, sbByRole) > 1) {
            LeftOutMember pick = null;
            for (LeftOutMember m : leftOut) {
                Superblock sb = activeSbs.get(activeDevices.indexOf(deviceOf(activeDevices, m.path())));
                // mdadm's force_array: only a device whose own superblock has it active in an empty
                // slot, and not in recovery (it would be a source of data it does not have)
                if (Superblock.isActiveRole(sb.role()) && sb.role() < raidDisks && byRole[sb.role()] == null
                        && !sb.hasRecoveryOffset() && (pick == null || Long.compareUnsigned(m.events(), pick.events()) > 0)) {
                    pick = m;
                }
            }
            if (pick == null) {
                break;
            }
            MemberDevice dev = deviceOf(activeDevices, pick.path());
            Superblock sb = activeSbs.get(activeDevices.indexOf(dev));
            int role = sb.role();
            forced.add("forcing event count in " + pick.path() + "(" + role + ") from " + sb.getEvents() + " up to "
                    + ref.getEvents() + ": it missed what was written to the array since it left, so its chunks of"
                    + " stripes written since then are stale (and parity built without it disagrees there): check the"
                    + " file system (fsck) and run 'raid5 check'");
            sb.setEvents(ref.getEvents());
            byRole[role] = dev;
            sbByRole[role] = sb;
            leftOut.remove(pick);
            leftOutDevices.remove(dev);
        }
        int rebuilding = -1;
        for (int r = 0; r < raidDisks; r++) {
            if (sbByRole[r] != null && sbByRole[r].hasRecoveryOffset()) {
                rebuilding = r; // a spare in recovery: continues from its recovery_offset
            }
        }
        if (outCount(byRole, sbByRole) > 1) {
            throw new AssemblyException(tooFewMessage(arrayId, raidDisks, byRole, sbByRole, leftOut, refPath, ref, force));
        }
        if (resume != null && rebuilding >= 0) {
            throw new AssemblyException("array " + arrayId + " is growing and " + byRole[rebuilding].path() + " is still in"
                    + " recovery: raid5d cannot run both at once; let the kernel's md finish them (mdadm --assemble)");
        }
        long[] dataOffsets = new long[raidDisks];
        long[] oldOffsets = new long[raidDisks];
        for (int r = 0; r < raidDisks; r++) {
            Superblock own = sbByRole[r] == null ? ref : sbByRole[r];
            oldOffsets[r] = own.getDataOffset();
            dataOffsets[r] = resume == null ? own.getDataOffset() : own.newDataOffset(); // a grow runs at the new offsets
            if (sbByRole[r] != null) {
                adoptArrayState(sbByRole[r], ref);
            }
        }
        for (int r = 0; r < raidDisks; r++) {
            for (int q = 0; q < raidDisks; q++) {
                if (sbByRole[r] != null && sbByRole[q] != null) {
                    // every included member recorded in its role (a forced member too, as mdadm's "clearing FAULTY flag")
                    sbByRole[r].setRole(sbByRole[q].getDevNumber(), q);
                }
            }
        }
        for (MemberDevice d : leftOutDevices) {
            try {
                d.close(); // not part of the array: free for re-add
            } catch (IOException ignored) {
                // nothing was written to it
            }
        }
        MemberSet members = new MemberSet(geometry, byRole, dataOffsets, rebuilding,
                rebuilding >= 0 ? sbByRole[rebuilding].getRecoveryOffset() : 0);
        long bitmapAddress = ref.hasBitmap() ? SuperblockIo.internalBitmapByteOffset(ref) : -1;
        if (resume != null) {
            resume = new Raid5Array.GrowResume(resume.grow(), Arrays.copyOf(oldOffsets, resume.grow().before().raidDisks()),
                    resume.positionSectors());
        }
        return new AssembledMembers(members, java.util.Collections.unmodifiableList(Arrays.asList(sbByRole)), bitmapAddress,
                List.copyOf(spares), List.copyOf(leftOut), List.copyOf(forced), resume);
    }

    /** Roles without a member, plus one for a member still in recovery (it cannot serve its data yet). */
    private static int outCount(MemberDevice[] byRole, Superblock[] sbByRole) {
        int out = 0;
        boolean recovering = false;
        for (int r = 0; r < byRole.length; r++) {
            if (byRole[r] == null) {
                out++;
            } else if (sbByRole[r].hasRecoveryOffset()) {
                recovering = true;
            }
        }
        return out + (recovering ? 1 : 0);
    }

    private static MemberDevice deviceOf(List<MemberDevice> devices, String path) {
        for (MemberDevice d : devices) {
            if (d.path().equals(path)) {
                return d;
            }
        }
        throw new IllegalStateException(path + " is not among the devices");
    }

    /** md takes the array-wide state from the freshest superblock and writes it to every member. */
    private static void adoptArrayState(Superblock sb, Superblock ref) {
        if (sb == ref) {
            return;
        }
        sb.setEvents(ref.getEvents());
        sb.setResyncOffset(ref.getResyncOffset());
        sb.setDevRoles(ref.getDevRoles());
        sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_BITMAP_OFFSET | ref.getFeatureMap() & Superblock.FEATURE_BITMAP_OFFSET);
        sb.setBitmapOffset(ref.getBitmapOffset());
        if (ref.reshapeActive()) {
            sb.setReshapePosition(ref.getReshapePosition()); // the freshest record holds
        }
    }

    /**
     * The grow recorded on the members, to resume, or null when none is: only a grow raid5d
     * makes itself (more members, the same level, chunk and layout, the data moved down to a
     * new offset, forwards), at a position on a stripe boundary of the new geometry.
     */
    private static Raid5Array.GrowResume growResume(Superblock ref, String refPath, String arrayId, Geometry after)
            throws AssemblyException {
        if (!ref.reshapeActive()) {
            return null;
        }
        int fromDisks = ref.getRaidDisks() - ref.getDeltaDisks();
        String what = String.format("array %s is in the middle of a reshape (%d->%d members, at array sector %d)", arrayId,
                fromDisks, ref.getRaidDisks(), ref.getReshapePosition());
        boolean grow = ref.getDeltaDisks() > 0 && ref.getNewLevel() == ref.getLevel()
                && ref.getNewChunkSectors() == ref.getChunkSectors() && ref.getNewLayoutCode() == ref.getLayout().mdCode()
                && (ref.getFeatureMap() & Superblock.FEATURE_RESHAPE_BACKWARDS) == 0
                && (ref.getFeatureMap() & Superblock.FEATURE_NEW_OFFSET) != 0 && ref.getNewOffset() < 0 && fromDisks >= 2;
        if (!grow) {
            throw new AssemblyException(refPath + ": " + what + " that raid5d cannot resume (only a grow to more members"
                    + " with the data moved to a lower offset): let the kernel's md finish it (mdadm --assemble)");
        }
        io.raid5d.core.geometry.Grow g = io.raid5d.core.geometry.Grow.of(
                Geometry.of(fromDisks, ref.getChunkSectors(), ref.getLayout(), ref.getSize()), ref.getRaidDisks());
        if (g.offsetShift() != -(long) ref.getNewOffset()) {
            throw new AssemblyException(refPath + ": " + what + " with the data moved by " + -ref.getNewOffset()
                    + " sectors, where raid5d moves it " + g.offsetShift() + ": let the kernel's md finish it (mdadm --assemble)");
        }
        if (ref.getReshapePosition() % g.unitSectors() != 0 || ref.getReshapePosition() > after.arraySectors()) {
            throw new AssemblyException(refPath + ": " + what + ", a position not on a stripe boundary");
        }
        return new Raid5Array.GrowResume(g, null, ref.getReshapePosition());
    }

    private static String tooFewMessage(String arrayId, int raidDisks, MemberDevice[] byRole, Superblock[] sbByRole,
                                        List<LeftOutMember> leftOut, String refPath, Superblock ref, boolean force) {
        StringBuilder b = new StringBuilder("array " + arrayId + " cannot run: ");
        int present = 0;
        for (int r = 0; r < raidDisks; r++) {
            if (byRole[r] != null && !sbByRole[r].hasRecoveryOffset()) {
                present++;
            }
        }
        b.append("only ").append(present).append(" of its ").append(raidDisks).append(" members are fresh, and RAID-5 runs with at"
                + " most one out. The freshest is ").append(refPath).append(" (events ").append(ref.getEvents()).append(").");
        for (int r = 0; r < raidDisks; r++) {
            if (byRole[r] != null && sbByRole[r].hasRecoveryOffset()) {
                b.append(" Role ").append(r).append(": ").append(byRole[r].path()).append(" is still in recovery.");
            } else if (byRole[r] == null) {
                b.append(" Role ").append(r).append(": ");
                String sep = "";
                for (LeftOutMember m : leftOut) {
                    if (m.role() == r) {
                        b.append(sep).append(m.path()).append(" (events ").append(m.events()).append(", ")
                                .append(m.reason().word()).append(')');
                        sep = ", ";
                    }
                }
                b.append(sep.isEmpty() ? "no device." : ".");
            }
        }
        b.append(force ? " No out-of-date member can be forced in." : " 'raid5 assemble --force' (raid5d --force-assemble)"
                + " takes the freshest out-of-date member back in, as mdadm --assemble --force does: what was written"
                + " since it left is stale on it.");
        return b.toString();
    }

    private static int roleOf(String path, Superblock sb) {
        return sb.roleOf(sb.getDevNumber()); // decode already refused a device number outside the table
    }

    private static void checkSameGeometry(String path, Superblock sb, String refPath, Superblock ref) throws AssemblyException {
        String field = null;
        if (sb.getRaidDisks() != ref.getRaidDisks()) {
            field = "raid devices";
        } else if (sb.getChunkSectors() != ref.getChunkSectors()) {
            field = "chunk size";
        } else if (sb.getLayout() != ref.getLayout()) { // enum constants: identity is equality
            field = "layout";
        } else if (sb.getSize() != ref.getSize()) {
            field = "used device size";
        } else if (sb.getLevel() != ref.getLevel()) {
            field = "level";
        }
        if (field != null) {
            throw new AssemblyException(path + " disagrees with " + refPath + " on the " + field + " of the array");
        }
    }
}
