package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The superblocks (and bitmap) for a new RAID-5 array, laid out the way mdadm 4.x lays out a
 * v1.2 array it creates: same data_offset rule, bitmap and bad-block-log placement, component
 * size rounding, max_dev, and bitmap chunk limits.
 *
 * <p>Members are not zeroed, so parity of a new array is not consistent: unless the request says
 * {@code assumeClean}, resync_offset is 0 (full resync needed) and every bitmap bit is set, as
 * mdadm writes them. With {@code assumeClean}, resync_offset is all ones and the bits are clear.
 *
 * <p>Immutable once built; accessors return copies.
 */
public final class NewArrayPlan {
    /** Where the write-intent bitmap lives. */
    public enum BitmapKind { INTERNAL, NONE, FILE }

    public static final long DEFAULT_CHUNK_BYTES = 512 * 1024;
    public static final long DEFAULT_BITMAP_CHUNK_BYTES = 64L * 1024 * 1024;
    public static final int MIN_RAID_DISKS = 3;
    /** mdadm places the internal bitmap 4 KiB after the superblock. */
    public static final int INTERNAL_BITMAP_OFFSET = 8;
    /** Largest bitmap chunk that fits the u32 field as a positive power of two. */
    public static final long MAX_BITMAP_CHUNK_BYTES = 1L << 30;
    private static final long MIN_DEVICE_SECTORS = 24;
    private static final long ONE_MEG_SECTORS = 2048;
    private static final int BBLOG_SECTORS = 8;

    /** One member as given to the planner: a name for messages and its size. */
    public static final class Member {
        private final String label;
        private final long sizeBytes;

        public Member(String label, long sizeBytes) {
            this.label = Objects.requireNonNull(label, "label");
            this.sizeBytes = sizeBytes;
        }

        public String label() {
            return label;
        }

        public long sizeBytes() {
            return sizeBytes;
        }
    }

    /** What `raid5 create` asks for. Mutable builder; {@link NewArrayPlan#plan(Request)} validates it. */
    public static final class Request {
        private String name;
        private String homeHost;
        private byte[] setUuid;
        private int raidDisks;
        private long chunkBytes = DEFAULT_CHUNK_BYTES;
        private Layout layout = Layout.LEFT_SYMMETRIC;
        private final List<Member> members = new ArrayList<>();
        private final List<Member> spares = new ArrayList<>();
        private long requestedSizeBytes;
        private BitmapKind bitmap = BitmapKind.INTERNAL;
        private long bitmapChunkBytes;
        private boolean assumeClean;
        private long dataOffsetBytes; // 0: md's default
        private int daemonSleepSeconds = BitmapSuperblock.DEFAULT_DAEMON_SLEEP;
        private Instant createdAt;
        private Random random;

        /** Array name (stored as set_name, at most 32 bytes). Required. */
        public Request name(String name) {
            this.name = name;
            return this;
        }

        /** When set, the stored name is "homeHost:name" if that fits, as mdadm --homehost does. */
        public Request homeHost(String homeHost) {
            this.homeHost = homeHost;
            return this;
        }

        /** 16 bytes; random when not given. */
        public Request setUuid(byte[] uuid) {
            this.setUuid = uuid == null ? null : uuid.clone();
            return this;
        }

        public Request raidDisks(int n) {
            this.raidDisks = n;
            return this;
        }

        public Request chunkBytes(long bytes) {
            this.chunkBytes = bytes;
            return this;
        }

        public Request layout(Layout layout) {
            this.layout = layout;
            return this;
        }

        /**
         * Adds a spare (mdadm's {@code --spare-devices}): after the members, with the next
         * dev_number and no role (0xffff), waiting to replace the first member that fails.
         */
        public Request spare(String label, long sizeBytes) {
            spares.add(new Member(label, sizeBytes));
            return this;
        }

        /** Adds the member that gets the next role (0, 1, ...). */
        public Request member(String label, long sizeBytes) {
            members.add(new Member(label, sizeBytes));
            return this;
        }

        /**
         * Where the data starts on every member (mdadm's --data-offset), in bytes, a multiple of
         * 4 KiB; 0 = md's default (superblock, bitmap and reshape headroom). More headroom lets a
         * later grow move the data down without a backup file.
         */
        public Request dataOffsetBytes(long bytes) {
            this.dataOffsetBytes = bytes;
            return this;
        }

        /** Per-member size to use (--size), in bytes; 0 = all the space of the smallest member. */
        public Request requestedSizeBytes(long bytes) {
            this.requestedSizeBytes = bytes;
            return this;
        }

        public Request bitmap(BitmapKind kind) {
            this.bitmap = kind;
            return this;
        }

        /** Bytes of member data per bitmap bit; 0 = default (64 MiB, more if the bitmap would not fit). */
        public Request bitmapChunkBytes(long bytes) {
            this.bitmapChunkBytes = bytes;
            return this;
        }

        /** Declare the members' parity already consistent (mdadm --assume-clean). */
        public Request assumeClean(boolean clean) {
            this.assumeClean = clean;
            return this;
        }

        /** The bitmap's daemon_sleep (mdadm --delay): seconds between passes that clear idle bits. */
        public Request daemonSleepSeconds(int seconds) {
            this.daemonSleepSeconds = seconds;
            return this;
        }

        /** Creation time; now when not given. */
        public Request createdAt(Instant when) {
            this.createdAt = when;
            return this;
        }

        /** Source of set/device UUIDs; a SecureRandom when not given. */
        public Request random(Random random) {
            this.random = random;
            return this;
        }
    }

    private final List<Superblock> superblocks;
    private final BitmapSuperblock bitmap;
    private final BitmapKind bitmapKind;
    private final boolean assumeClean;
    private final List<String> warnings;

    private NewArrayPlan(List<Superblock> superblocks, BitmapSuperblock bitmap, BitmapKind kind,
                         boolean assumeClean, List<String> warnings) {
        this.superblocks = superblocks;
        this.bitmap = bitmap;
        this.bitmapKind = kind;
        this.assumeClean = assumeClean;
        this.warnings = warnings;
    }

    /**
     * Plans the array.
     *
     * @throws IllegalArgumentException with a one-line reason when the request is impossible
     */
    public static NewArrayPlan plan(Request r) {
        int n = r.raidDisks;
        if (n < MIN_RAID_DISKS) {
            throw new IllegalArgumentException("a RAID-5 array needs at least " + MIN_RAID_DISKS
                    + " members, got " + n);
        }
        int devices = n + r.spares.size();
        int maxDev = maxDevFor(devices);
        if (maxDev > Superblock.MAX_DEVS) {
            throw new IllegalArgumentException("at most " + Superblock.MAX_DEVS + " devices fit in a v1.2 superblock, got "
                    + devices);
        }
        if (r.members.size() != n) {
            throw new IllegalArgumentException("raid devices is " + n + " but " + r.members.size()
                    + " members were given");
        }
        long chunk = r.chunkBytes;
        if (chunk < 4096 || Long.bitCount(chunk) != 1 || chunk / 512 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chunk size " + chunk + " bytes is not a power of two of at least 4 KiB");
        }
        int chunkSectors = (int) (chunk / 512);
        Layout layout = Objects.requireNonNull(r.layout, "layout");
        BitmapKind kind = Objects.requireNonNull(r.bitmap, "bitmap kind");
        String setName = storedName(r.name, r.homeHost);
        Random random = r.random != null ? r.random : new SecureRandom();
        byte[] setUuid;
        if (r.setUuid != null) {
            if (r.setUuid.length != 16) {
                throw new IllegalArgumentException("array UUID must be 16 bytes, got " + r.setUuid.length);
            }
            setUuid = r.setUuid.clone();
        } else {
            setUuid = randomUuid(random);
        }

        long[] devSectors = new long[n];
        for (int i = 0; i < n; i++) {
            devSectors[i] = r.members.get(i).sizeBytes() / 512;
            if (devSectors[i] < MIN_DEVICE_SECTORS) {
                throw new IllegalArgumentException("member " + r.members.get(i).label() + " is too small for md ("
                        + r.members.get(i).sizeBytes() + " bytes)");
            }
        }
        // Like mdadm, the first member's size picks the data offset for the whole array.
        long dataOffset = defaultDataOffset(devSectors[0], chunkSectors);
        if (r.dataOffsetBytes != 0) {
            if (r.dataOffsetBytes % 4096 != 0 || r.dataOffsetBytes < 0) {
                throw new IllegalArgumentException("data offset " + r.dataOffsetBytes + " bytes is not a multiple of 4 KiB");
            }
            dataOffset = r.dataOffsetBytes / 512;
            if (dataOffset < Superblock.V12_SUPER_OFFSET + 8) {
                throw new IllegalArgumentException("data offset " + r.dataOffsetBytes + " bytes leaves no room for the"
                        + " superblock (at 4 KiB): it must be at least 8 KiB");
            }
        }

        long minFree = Long.MAX_VALUE;
        long maxFree = 0;
        String largest = null;
        for (int i = 0; i < n; i++) {
            long free = devSectors[i] - dataOffset;
            if (free < chunkSectors) {
                throw new IllegalArgumentException("member " + r.members.get(i).label() + " is too small: "
                        + r.members.get(i).sizeBytes() + " bytes, but data starts at " + dataOffset * 512
                        + " bytes and needs at least one " + chunk + "-byte chunk after it");
            }
            minFree = Math.min(minFree, free);
            if (free > maxFree) {
                maxFree = free;
                largest = r.members.get(i).label();
            }
        }
        long size;
        if (r.requestedSizeBytes > 0) {
            long requested = r.requestedSizeBytes / 512;
            if (requested > minFree) {
                throw new IllegalArgumentException("requested size " + r.requestedSizeBytes + " bytes per member exceeds "
                        + "the " + minFree * 512 + " bytes available on the smallest member");
            }
            size = requested;
        } else if (r.requestedSizeBytes < 0) {
            throw new IllegalArgumentException("requested size must not be negative: " + r.requestedSizeBytes);
        } else {
            size = minFree;
        }
        size -= size % chunkSectors;
        if (size == 0) {
            throw new IllegalArgumentException("requested size " + r.requestedSizeBytes
                    + " bytes is smaller than one chunk (" + chunk + " bytes)");
        }
        for (Member spare : r.spares) {
            long free = spare.sizeBytes() / 512 - dataOffset;
            if (free < size) {
                throw new IllegalArgumentException("spare " + spare.label() + " is too small: " + spare.sizeBytes()
                        + " bytes, but a member of this array needs " + (dataOffset + size) * 512);
            }
        }
        List<String> warnings = new ArrayList<>();
        if (r.requestedSizeBytes == 0 && maxFree > minFree + minFree / 100) {
            warnings.add("largest member (" + largest + ") exceeds the size used (" + size * 512
                    + " bytes per member) by more than 1%");
        }

        BitmapSuperblock bsb = null;
        int featureMap = 0;
        int bitmapOffset = 0;
        long bmSpace;
        if (kind == BitmapKind.INTERNAL) {
            long bitmapChunk = internalBitmapChunk(size, r.bitmapChunkBytes);
            bsb = newBitmap(setUuid, size, bitmapChunk, r.daemonSleepSeconds);
            bmSpace = bsb.areaBytes(4096) / 512;
            featureMap |= Superblock.FEATURE_BITMAP_OFFSET;
            bitmapOffset = INTERNAL_BITMAP_OFFSET;
            if (Superblock.V12_SUPER_OFFSET + bitmapOffset + bmSpace > dataOffset) {
                throw new IllegalArgumentException("internal bitmap of " + bmSpace + " sectors does not fit before "
                        + "data offset " + dataOffset + "; use a larger bitmap chunk");
            }
        } else {
            if (kind == BitmapKind.FILE) {
                long bitmapChunk = r.bitmapChunkBytes == 0 ? DEFAULT_BITMAP_CHUNK_BYTES : r.bitmapChunkBytes;
                checkBitmapChunk(bitmapChunk);
                bsb = newBitmap(setUuid, size, bitmapChunk, r.daemonSleepSeconds);
            }
            bmSpace = chooseBitmapSpace(size);
        }
        // mdadm reserves a bad block log after the bitmap space when there is room (md only uses
        // it once it sets FEATURE_BAD_BLOCKS; raid5d never does).
        int bblogSize = 0;
        int bblogOffset = 0;
        if (dataOffset >= Superblock.V12_SUPER_OFFSET + INTERNAL_BITMAP_OFFSET + bmSpace + BBLOG_SECTORS) {
            bblogSize = BBLOG_SECTORS;
            bblogOffset = (int) (INTERNAL_BITMAP_OFFSET + bmSpace);
        } else if (dataOffset >= Superblock.V12_SUPER_OFFSET + 16) {
            bblogSize = BBLOG_SECTORS;
            bblogOffset = (int) (dataOffset - BBLOG_SECTORS - Superblock.V12_SUPER_OFFSET);
        }

        long ctime = MdTimestamp.fromSeconds((r.createdAt != null ? r.createdAt : Instant.now()).getEpochSecond());
        List<Member> all = new ArrayList<>(r.members);
        all.addAll(r.spares);
        List<Superblock> sbs = new ArrayList<>(devices);
        for (int i = 0; i < devices; i++) {
            Superblock sb = new Superblock();
            sb.setFeatureMap(featureMap);
            sb.setSetUuid(setUuid);
            sb.setSetName(setName);
            sb.setCtime(ctime);
            sb.setLevel(5);
            sb.setLayout(layout);
            sb.setSize(size);
            sb.setChunkSectors(chunkSectors);
            sb.setRaidDisks(n);
            sb.setBitmapOffset(bitmapOffset);
            sb.setDataOffset(dataOffset);
            sb.setDataSize(all.get(i).sizeBytes() / 512 - dataOffset);
            sb.setSuperOffset(Superblock.V12_SUPER_OFFSET);
            sb.setRecoveryOffset(0);
            sb.setDevNumber(i);
            sb.setDeviceUuid(randomUuid(random));
            sb.setBblogSize(bblogSize);
            sb.setBblogOffset(bblogOffset);
            sb.setUtime(ctime);
            sb.setEvents(0);
            sb.setResyncOffset(r.assumeClean ? Superblock.RESYNC_DONE : 0);
            int[] roles = new int[maxDev];
            Arrays.fill(roles, Superblock.ROLE_SPARE); // the spares' dev_numbers n.. keep 0xffff: spare
            for (int role = 0; role < n; role++) {
                roles[role] = role;
            }
            sb.setDevRoles(roles);
            sb.encode(); // fills in the checksum
            sbs.add(sb);
        }
        return new NewArrayPlan(sbs, bsb, kind, r.assumeClean, Collections.unmodifiableList(warnings));
    }

    // ---- mdadm's layout rules -------------------------------------------------------------

    /**
     * mdadm's default v1.2 data offset for a device of {@code devSectors}: room for the superblock
     * and bitmap space plus reshape headroom (128 MiB, halved while it exceeds about 0.1% of the
     * device, keeping at least two chunks), rounded up to 1 MiB.
     */
    public static long defaultDataOffset(long devSectors, int chunkSectors) {
        long headroom = 128L * 1024 * 2;
        while ((headroom << 10) > devSectors && headroom / 2 >= (long) chunkSectors * 2) {
            headroom >>= 1;
        }
        long offset = 12 * 2 + chooseBitmapSpace(devSectors) + headroom;
        return (offset + ONE_MEG_SECTORS - 1) / ONE_MEG_SECTORS * ONE_MEG_SECTORS;
    }

    /** mdadm's space (sectors) set aside for a bitmap on a device: 4 KiB, 64 KiB over 8 GiB, 128 KiB over 200 GiB. */
    public static long chooseBitmapSpace(long devSectors) {
        if (devSectors < 64 * 2) {
            return 0;
        }
        if (devSectors - 64 * 2 >= 200L * 1024 * 1024 * 2) {
            return 128 * 2;
        }
        if (devSectors - 4 * 2 > 8L * 1024 * 1024 * 2) {
            return 64 * 2;
        }
        return 4 * 2;
    }

    /** max_dev as mdadm sizes it: the dev_roles of N members, rounded up to fill a 512-byte sector. */
    public static int maxDevFor(int members) {
        int bytes = Superblock.FIXED_SIZE + 2 * members;
        bytes = (bytes + 511) / 512 * 512;
        return (bytes - Superblock.FIXED_SIZE) / 2;
    }

    /**
     * The internal bitmap chunk: the smallest power of two (from 4 KiB) whose bitmap fits the space
     * mdadm reserves, and at least 64 MiB when not requested; a requested chunk below that minimum
     * is refused, as mdadm refuses it.
     */
    static long internalBitmapChunk(long sizeSectors, long requested) {
        return internalBitmapChunk(sizeSectors, requested, chooseBitmapSpace(sizeSectors));
    }

    /**
     * The internal bitmap chunk for {@code sizeSectors} per member when {@code roomSectors} are free
     * for the bitmap (header and bits); {@code requested} 0 = default (at least 64 MiB).
     *
     * @throws IllegalArgumentException when no chunk fits or the requested one does not
     */
    public static long internalBitmapChunk(long sizeSectors, long requested, long roomSectors) {
        long room = roomSectors;
        if (room <= 1) {
            throw new IllegalArgumentException("members are too small for an internal bitmap (" + sizeSectors
                    + " sectors used per member)");
        }
        long maxBits = (room * 512 - BitmapSuperblock.SIZE) * 8;
        long minChunk = 4096;
        long bits = sizeSectors * 512 / minChunk + 1;
        while (bits > maxBits) {
            minChunk *= 2;
            bits = (bits + 1) / 2;
        }
        long chunk;
        if (requested == 0) {
            chunk = Math.max(minChunk, DEFAULT_BITMAP_CHUNK_BYTES);
        } else {
            checkBitmapChunk(requested);
            if (requested < minChunk) {
                throw new IllegalArgumentException("bitmap chunk " + requested + " bytes is too small for an internal "
                        + "bitmap of " + sizeSectors * 512 + " bytes per member: at least " + minChunk + " bytes");
            }
            chunk = requested;
        }
        checkBitmapChunk(chunk);
        return chunk;
    }

    /**
     * Sectors free for an internal bitmap at {@link #INTERNAL_BITMAP_OFFSET} on the member {@code sb}
     * describes: up to the bad-block log if one is reserved after that point, else up to the data
     * (v1.2: superblock at 8 sectors, data after it). 0 when there is none.
     */
    public static long internalBitmapRoomSectors(Superblock sb) {
        long start = INTERNAL_BITMAP_OFFSET;
        long end = sb.getDataOffset() - sb.getSuperOffset();
        if (sb.getBblogSize() > 0 && sb.getBblogOffset() >= start && sb.getBblogOffset() < end) {
            end = sb.getBblogOffset();
        }
        return Math.max(0, end - start);
    }

    private static void checkBitmapChunk(long bytes) {
        if (bytes < 4096 || Long.bitCount(bytes) != 1 || bytes > MAX_BITMAP_CHUNK_BYTES) {
            throw new IllegalArgumentException("bitmap chunk " + bytes + " bytes is not a power of two between 4 KiB "
                    + "and " + MAX_BITMAP_CHUNK_BYTES + " bytes");
        }
    }

    private static BitmapSuperblock newBitmap(byte[] setUuid, long sizeSectors, long chunkBytes, int daemonSleep) {
        if (daemonSleep < 1 || daemonSleep > 15 * 60) {
            throw new IllegalArgumentException("bitmap delay (daemon_sleep) " + daemonSleep
                    + " s is outside 1..900 seconds");
        }
        BitmapSuperblock b = new BitmapSuperblock();
        b.setVersion(BitmapSuperblock.VERSION_HI);
        b.setUuid(setUuid);
        b.setEvents(0);
        b.setEventsCleared(0);
        b.setSyncSize(sizeSectors);
        b.setChunkSize((int) chunkBytes);
        b.setDaemonSleep(daemonSleep);
        return b;
    }

    private static String storedName(String name, String homeHost) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("the array needs a name");
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("array name must not contain NUL or newline");
        }
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (homeHost != null && !homeHost.isEmpty() && name.indexOf(':') < 0
                && homeHost.getBytes(StandardCharsets.UTF_8).length + 1 + nameBytes < 32) {
            return homeHost + ":" + name;
        }
        if (nameBytes > 32) {
            throw new IllegalArgumentException("array name '" + name + "' is " + nameBytes
                    + " bytes; at most 32 fit in the superblock");
        }
        return name;
    }

    private static byte[] randomUuid(Random random) {
        byte[] u = new byte[16];
        random.nextBytes(u);
        return u;
    }

    // ---- results -------------------------------------------------------------------------------

    /** The superblocks, index = dev_number (= role for the members, then the spares); copies. */
    public List<Superblock> superblocks() {
        List<Superblock> out = new ArrayList<>(superblocks.size());
        for (Superblock sb : superblocks) {
            out.add(sb.copy());
        }
        return out;
    }

    public Superblock superblock(int role) {
        return superblocks.get(role).copy();
    }

    public int raidDisks() {
        return superblocks.get(0).getRaidDisks();
    }

    /** Spares planned after the members. */
    public int spares() {
        return superblocks.size() - raidDisks();
    }

    public byte[] setUuid() {
        return superblocks.get(0).getSetUuid();
    }

    public String setName() {
        return superblocks.get(0).getSetName();
    }

    public long dataOffsetSectors() {
        return superblocks.get(0).getDataOffset();
    }

    /** Sectors used on each member. */
    public long componentSectors() {
        return superblocks.get(0).getSize();
    }

    public long arrayBytes() {
        return superblocks.get(0).arraySectors() * 512;
    }

    public BitmapKind bitmapKind() {
        return bitmapKind;
    }

    /** The bitmap header (internal or file), or null for {@link BitmapKind#NONE}. */
    public BitmapSuperblock bitmapSuperblock() {
        return bitmap == null ? null : bitmap.copy();
    }

    /** Non-fatal notes for the user (e.g. members of different sizes). */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The internal bitmap as mdadm writes it on every member: header, then the bits, padded to a
     * 4 KiB multiple with the same fill. Position 0.
     */
    public ByteBuffer internalBitmapImage() {
        if (bitmapKind != BitmapKind.INTERNAL) {
            throw new IllegalStateException("array has no internal bitmap (" + bitmapKind + ")");
        }
        return bitmapImage(bitmap.areaBytes(4096));
    }

    /** The bitmap file content: header followed by exactly bitsBytes() bytes of bits. Position 0. */
    public ByteBuffer bitmapFileImage() {
        if (bitmap == null) {
            throw new IllegalStateException("array has no bitmap");
        }
        return bitmapImage(BitmapSuperblock.SIZE + bitmap.bitsBytes());
    }

    private ByteBuffer bitmapImage(long length) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalStateException("bitmap of " + length + " bytes is too large");
        }
        ByteBuffer image = ByteBuffer.allocate((int) length);
        bitmap.encodeInto(image);
        byte fill = assumeClean ? 0 : (byte) 0xff;
        while (image.hasRemaining()) {
            image.put(fill);
        }
        image.flip();
        return image;
    }

    /**
     * Writes the planned superblocks (and internal bitmaps) to the devices, dev_number i to
     * {@code members.get(i)} (the members in role order, then the spares), then syncs each. A
     * bitmap file is not written here.
     */
    public void writeTo(List<? extends MemberDevice> members) throws IOException {
        if (members.size() != superblocks.size()) {
            throw new IllegalArgumentException("plan has " + superblocks.size() + " members, got " + members.size());
        }
        for (int i = 0; i < members.size(); i++) {
            MemberDevice dev = members.get(i);
            Superblock sb = superblocks.get(i);
            long needed = (sb.getDataOffset() + sb.getSize()) * 512;
            if (dev.sizeBytes() < needed) {
                throw new IOException(dev.path() + ": " + dev.sizeBytes() + " bytes, but the plan needs " + needed);
            }
        }
        for (int i = 0; i < members.size(); i++) {
            MemberDevice dev = members.get(i);
            Superblock sb = superblocks.get(i).copy();
            if (bitmapKind == BitmapKind.INTERNAL) {
                SuperblockIo.writeInternalBitmap(dev, sb, internalBitmapImage());
            }
            SuperblockIo.write(dev, sb);
            try {
                dev.sync();
            } catch (IOException e) {
                throw new IOException(dev.path() + ": sync failed: " + e.getMessage(), e);
            }
        }
    }
}
