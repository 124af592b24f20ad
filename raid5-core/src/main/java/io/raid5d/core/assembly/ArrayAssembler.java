package io.raid5d.core.assembly;

import io.raid5d.core.array.ArrayMetadata;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.MemberSet;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.bitmap.FileBitmapStore;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.geometry.Layout;
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
 * Turns a list of member paths into an array, as mdadm --assemble does: reads every
 * superblock and refuses, with a message naming the member, anything that does not add up:
 * another array's member, a duplicate or missing role, a stale event count, a bad checksum, a
 * member too small for the size the superblock claims. Nothing is written while checking.
 */
public final class ArrayAssembler {
    private static final int KNOWN_FEATURES = Superblock.FEATURE_BITMAP_OFFSET | Superblock.FEATURE_RECOVERY_OFFSET;

    /** Why a dirty array that is also degraded is not started without --force (say it the same way everywhere). */
    public static final String WRITE_HOLE = "it was not stopped cleanly and is degraded: stripes written at the crash may"
            + " have data and parity that disagree, and with a member missing the missing member's data in those"
            + " stripes would be reconstructed wrong without any error (the RAID-5 write hole). Assemble with --force"
            + " to start it anyway (data in stripes written at the crash may be corrupt), or add the missing member"
            + " back while it is stopped";

    private ArrayAssembler() {
    }

    /** Opens and checks the members, all of them (no degraded set); the caller owns the result. */
    public static AssembledMembers open(List<Path> paths, boolean readOnly) throws AssemblyException {
        return open(paths, readOnly, false);
    }

    private static AssembledMembers open(List<Path> paths, boolean readOnly, boolean allowDegraded) throws AssemblyException {
        List<MemberDevice> devices = new ArrayList<>();
        try {
            List<Superblock> sbs = new ArrayList<>();
            for (Path p : paths) {
                MemberDevice dev = MemberDevices.open(p, readOnly);
                devices.add(dev);
                sbs.add(readSuperblock(dev));
            }
            AssembledMembers result = check(devices, sbs, allowDegraded);
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
        List<Superblock> sbs = new ArrayList<>();
        for (MemberDevice dev : devices) {
            sbs.add(readSuperblock(dev));
        }
        return check(devices, sbs, true);
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
        return start(name, openDevices(devices), options, force, null);
    }

    /** Assembles a writable array with default options and {@code ioThreads} member I/O threads, and starts it. */
    public static Raid5Array assemble(String name, List<Path> paths, int ioThreads) throws AssemblyException, IOException {
        return assemble(name, paths, ArrayOptions.defaults().withIoThreads(ioThreads));
    }

    /**
     * Assembles a writable array and starts it (marks it dirty, resyncs after an unclean stop):
     * stripe cache size, worker and I/O threads, metrics registry and write-intent log come
     * from {@code options}.
     */
    public static Raid5Array assemble(String name, List<Path> paths, ArrayOptions options) throws AssemblyException, IOException {
        return assemble(name, paths, options, false, null);
    }

    /**
     * As {@link #assemble(String, List, ArrayOptions)}; a set with one member missing (or in
     * recovery) runs degraded. A dirty degraded array is refused ({@link #WRITE_HOLE}) unless {@code force}.
     */
    public static Raid5Array assemble(String name, List<Path> paths, ArrayOptions options, boolean force)
            throws AssemblyException, IOException {
        return assemble(name, paths, options, force, null);
    }

    /** As {@link #assemble(String, List, ArrayOptions, boolean, Path)} without force. */
    public static Raid5Array assemble(String name, List<Path> paths, ArrayOptions options, Path bitmapFile)
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
    public static Raid5Array assemble(String name, List<Path> paths, ArrayOptions options, boolean force,
                                      Path bitmapFile) throws AssemblyException, IOException {
        return start(name, open(paths, false, true), options, force, bitmapFile);
    }

    private static Raid5Array start(String name, AssembledMembers am, ArrayOptions options, boolean force,
                                    Path bitmapFile) throws AssemblyException, IOException {
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
                array = new Raid5Array(name, am.members(), metadata, options, log);
            } catch (RuntimeException e) {
                log.close();
                throw e;
            }
            array.holdIdleSpares(am.spares());
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
            return SuperblockIo.read(dev);
        } catch (SuperblockException | IOException e) {
            String msg = e.getMessage();
            throw new AssemblyException(msg != null && msg.contains(dev.path()) ? msg : dev.path() + ": " + msg, e);
        }
    }

    private static AssembledMembers check(List<MemberDevice> devices, List<Superblock> sbs, boolean allowDegraded)
            throws AssemblyException {
        if (devices.isEmpty()) {
            throw new AssemblyException("no members given");
        }
        int newest = 0;
        for (int i = 1; i < sbs.size(); i++) {
            int c = Long.compareUnsigned(sbs.get(i).getEvents(), sbs.get(newest).getEvents());
            // among the newest, an active member's superblock over a spare's
            if (c > 0 || c == 0 && !Superblock.isActiveRole(sbs.get(newest).role()) && Superblock.isActiveRole(sbs.get(i).role())) {
                newest = i;
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
        devices = activeDevices;
        sbs = activeSbs;
        int raidDisks = ref.getRaidDisks();
        if (devices.size() > raidDisks || (!allowDegraded && devices.size() != raidDisks)
                || devices.size() < raidDisks - 1) {
            throw new AssemblyException("array " + arrayId + " has " + raidDisks + " raid devices but " + devices.size()
                    + " members were given" + (devices.size() == raidDisks - 1 ? "" : " (RAID-5 runs with at most one missing)"));
        }
        Layout layout;
        Geometry geometry;
        try {
            layout = ref.getLayout();
            geometry = Geometry.of(raidDisks, ref.getChunkSectors(), layout, ref.getSize());
        } catch (IllegalArgumentException e) {
            throw new AssemblyException(refPath + ": " + e.getMessage(), e);
        }
        MemberDevice[] byRole = new MemberDevice[raidDisks];
        Superblock[] sbByRole = new Superblock[raidDisks];
        long[] dataOffsets = new long[raidDisks];
        int rebuilding = -1;
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            MemberDevice dev = devices.get(i);
            String path = dev.path();
            checkSameGeometry(path, sb, refPath, ref);
            if (sb.getEvents() != ref.getEvents()) {
                throw new AssemblyException(path + " is stale: its event count " + sb.getEvents() + " is older than "
                        + ref.getEvents() + " on " + refPath + " (it missed updates: leave it out to run degraded, then re-add it)");
            }
            int role = roleOf(path, sb);
            int refRole = ref.roleOf(sb.getDevNumber()); // what the newest superblock says of this member
            if (refRole == Superblock.ROLE_FAULTY && role < raidDisks) {
                role = refRole;
            }
            if (role >= raidDisks) {
                throw new AssemblyException(path + " is " + (role == Superblock.ROLE_SPARE ? "a spare"
                        : role == Superblock.ROLE_FAULTY ? "marked faulty" : "in role " + role) + " in array " + arrayId
                        + ", not an active member");
            }
            if (byRole[role] != null) {
                throw new AssemblyException(path + " and " + byRole[role].path() + " both claim role " + role
                        + " in array " + arrayId);
            }
            long needBytes = (sb.getDataOffset() + ref.getSize()) * 512L;
            if (dev.sizeBytes() < needBytes) {
                throw new AssemblyException(path + " is too small for array " + arrayId + ": it has " + dev.sizeBytes()
                        + " bytes, the superblock needs " + needBytes + " (data offset + used size); truncated?");
            }
            if (sb.hasRecoveryOffset()) {
                rebuilding = role; // a spare in recovery: continues from its recovery_offset
            }
            byRole[role] = dev;
            sbByRole[role] = sb;
            dataOffsets[role] = sb.getDataOffset();
        }
        int missing = 0;
        for (int r = 0; r < raidDisks; r++) {
            if (byRole[r] == null) {
                missing++;
                dataOffsets[r] = ref.getDataOffset();
            }
        }
        if (missing + (rebuilding >= 0 ? 1 : 0) > 1) {
            throw new AssemblyException("array " + arrayId + " cannot run: " + (missing > 1 ? missing + " members are missing"
                    : "a member is missing and " + byRole[rebuilding].path() + " is still in recovery")
                    + "; RAID-5 runs with at most one member lost");
        }
        MemberSet members = new MemberSet(geometry, byRole, dataOffsets, rebuilding,
                rebuilding >= 0 ? sbByRole[rebuilding].getRecoveryOffset() : 0);
        long bitmapAddress = ref.hasBitmap() ? SuperblockIo.internalBitmapByteOffset(ref) : -1;
        return new AssembledMembers(members, java.util.Collections.unmodifiableList(Arrays.asList(sbByRole)), bitmapAddress,
                List.copyOf(spares));
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
