package io.raid5d.core.superblock;

import io.raid5d.core.geometry.Layout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * One member's Linux md v1.2 superblock (256 bytes plus 2 bytes per dev_roles slot, at byte 4096
 * of the member), as a mutable value.
 *
 * <p>All integers are little-endian on disk. Field offsets: 0 magic; 4 major_version; 8 feature_map;
 * 16 set_uuid; 32 set_name; 64 ctime; 72 level; 76 layout; 80 size; 88 chunksize; 92 raid_disks;
 * 96 bitmap_offset; 100..127 reshape fields; 128 data_offset; 136 data_size; 144 super_offset;
 * 152 recovery_offset; 160 dev_number; 164 cnt_corrected_read; 168 device_uuid; 184 devflags;
 * 185 bblog_shift; 186 bblog_size; 188 bblog_offset; 192 utime; 200 events; 208 resync_offset;
 * 216 sb_csum; 220 max_dev; 256 dev_roles[max_dev]. Sizes and offsets are in 512-byte sectors.
 *
 * <p>{@link #decode} accepts only what raid5d can run: a v1.2 RAID-5 superblock without a reshape,
 * journal or PPL in progress. Not thread-safe; use {@link #copy()} to hand one to another thread.
 */
public final class Superblock {
    public static final int MAGIC = 0xa92b4efc;
    public static final int MAJOR_VERSION = 1;
    /** Size of the fixed part; dev_roles follow it. */
    public static final int FIXED_SIZE = 256;
    /** md reads at most 4 KiB of superblock, so max_dev is at most (4096 - 256) / 2. */
    public static final int MAX_DEVS = (4096 - FIXED_SIZE) / 2;
    /** Where a v1.2 superblock lives, in sectors from the start of the member. */
    public static final long V12_SUPER_OFFSET = 8;
    public static final long SUPER_OFFSET_BYTES = V12_SUPER_OFFSET * 512;
    /** resync_offset meaning "the whole array is in sync". */
    public static final long RESYNC_DONE = -1L;

    public static final int ROLE_SPARE = 0xffff;
    public static final int ROLE_FAULTY = 0xfffe;
    public static final int ROLE_JOURNAL = 0xfffd;

    public static final int FEATURE_BITMAP_OFFSET = 1;
    public static final int FEATURE_RECOVERY_OFFSET = 2;
    public static final int FEATURE_RESHAPE_ACTIVE = 4;
    public static final int FEATURE_BAD_BLOCKS = 8;
    public static final int FEATURE_REPLACEMENT = 16;
    public static final int FEATURE_RESHAPE_BACKWARDS = 32;
    public static final int FEATURE_NEW_OFFSET = 64;
    public static final int FEATURE_BITMAP_VERSIONED = 256;
    public static final int FEATURE_JOURNAL = 512;
    public static final int FEATURE_PPL = 1024;
    public static final int FEATURE_MULTIPLE_PPLS = 2048;
    /** Every feature bit md defines. */
    public static final int FEATURE_ALL = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 256 | 512 | 1024 | 2048;
    /** Features raid5d refuses to run: the array is mid-reshape, or uses a journal or PPL. */
    public static final int FEATURE_UNSUPPORTED = FEATURE_RESHAPE_ACTIVE | FEATURE_RESHAPE_BACKWARDS
            | FEATURE_NEW_OFFSET | FEATURE_JOURNAL | FEATURE_PPL | FEATURE_MULTIPLE_PPLS;

    public static final int DEVFLAG_WRITE_MOSTLY = 1;
    public static final int DEVFLAG_FAILFAST = 2;

    private static final int NAME_BYTES = 32;

    private int featureMap;
    private byte[] setUuid = new byte[16];
    private String setName = "";
    private long ctime;
    private int level = 5;
    private Layout layout = Layout.LEFT_SYMMETRIC;
    private long size;
    private int chunkSectors;
    private int raidDisks;
    private int bitmapOffset;
    private long dataOffset;
    private long dataSize;
    private long superOffset = V12_SUPER_OFFSET;
    private long recoveryOffset;
    private int devNumber;
    private int cntCorrectedRead;
    private byte[] deviceUuid = new byte[16];
    private int devFlags;
    private int bblogShift;
    private int bblogSize;
    private int bblogOffset;
    private long utime;
    private long events;
    private long resyncOffset;
    private int checksum;
    private int expectedChecksum;
    private int[] devRoles = new int[0];

    public Superblock() {
    }

    /**
     * Decodes and validates the superblock at {@code src}'s position (the position is not moved).
     * The buffer must hold at least 256 + 2 * max_dev bytes; reading 4096 bytes always suffices.
     *
     * @throws SuperblockException no superblock (bad magic), unsupported version, bad checksum,
     *     or values that are impossible or that raid5d cannot run
     */
    public static Superblock decode(ByteBuffer src) throws SuperblockException {
        return decode(src, true);
    }

    /**
     * Like {@link #decode} but a checksum mismatch is not an error: {@link #getChecksum()} and
     * {@link #getExpectedChecksum()} tell it. For examining damaged members only.
     */
    public static Superblock decodeLenient(ByteBuffer src) throws SuperblockException {
        return decode(src, false);
    }

    private static Superblock decode(ByteBuffer src, boolean verifyChecksum) throws SuperblockException {
        if (src.remaining() < FIXED_SIZE) {
            throw new SuperblockException("superblock buffer too short: " + src.remaining() + " bytes, need "
                    + FIXED_SIZE);
        }
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new SuperblockException(String.format(
                    "no md superblock: magic is 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int major = b.getInt(4);
        if (major != MAJOR_VERSION) {
            throw new SuperblockException("unsupported md superblock major version " + Integer.toUnsignedString(major)
                    + " (only version 1 is supported)");
        }
        int maxDev = b.getInt(220);
        if (maxDev < 0 || maxDev > MAX_DEVS) {
            throw new SuperblockException("impossible max_dev " + Integer.toUnsignedString(maxDev)
                    + " (at most " + MAX_DEVS + ")");
        }
        if (b.remaining() < FIXED_SIZE + 2 * maxDev) {
            throw new SuperblockException("superblock buffer too short for max_dev " + maxDev + ": "
                    + b.remaining() + " bytes, need " + (FIXED_SIZE + 2 * maxDev));
        }
        Superblock sb = new Superblock();
        sb.expectedChecksum = SuperblockChecksum.compute(b, maxDev); // before relative reads move b
        sb.featureMap = b.getInt(8);
        b.position(16);
        b.get(sb.setUuid);
        byte[] name = new byte[NAME_BYTES];
        b.get(name);
        sb.setName = cString(name);
        sb.ctime = b.getLong(64);
        sb.level = b.getInt(72);
        int layoutCode = b.getInt(76);
        sb.size = b.getLong(80);
        sb.chunkSectors = b.getInt(88);
        sb.raidDisks = b.getInt(92);
        sb.bitmapOffset = b.getInt(96);
        sb.dataOffset = b.getLong(128);
        sb.dataSize = b.getLong(136);
        sb.superOffset = b.getLong(144);
        sb.recoveryOffset = b.getLong(152);
        sb.devNumber = b.getInt(160);
        sb.cntCorrectedRead = b.getInt(164);
        b.position(168);
        b.get(sb.deviceUuid);
        sb.devFlags = b.get(184) & 0xff;
        sb.bblogShift = b.get(185) & 0xff;
        sb.bblogSize = b.getShort(186) & 0xffff;
        sb.bblogOffset = b.getInt(188);
        sb.utime = b.getLong(192);
        sb.events = b.getLong(200);
        sb.resyncOffset = b.getLong(208);
        sb.checksum = b.getInt(SuperblockChecksum.CSUM_OFFSET);
        sb.devRoles = new int[maxDev];
        for (int i = 0; i < maxDev; i++) {
            sb.devRoles[i] = b.getShort(FIXED_SIZE + 2 * i) & 0xffff;
        }
        // A damaged superblock is reported as such, not as whatever impossible value the damage made.
        if (verifyChecksum && sb.checksum != sb.expectedChecksum) {
            throw new SuperblockException(String.format(
                    "bad superblock checksum: expected %08x found %08x", sb.expectedChecksum, sb.checksum));
        }
        sb.validate(layoutCode);
        return sb;
    }

    private void validate(int layoutCode) throws SuperblockException {
        int unknown = featureMap & ~FEATURE_ALL;
        if (unknown != 0) {
            throw new SuperblockException(String.format("unknown feature bits 0x%x in feature_map 0x%x",
                    unknown, featureMap));
        }
        if ((featureMap & FEATURE_UNSUPPORTED) != 0) {
            throw new SuperblockException(String.format(
                    "feature_map 0x%x uses %s, which raid5d does not support", featureMap,
                    unsupportedFeatureNames(featureMap & FEATURE_UNSUPPORTED)));
        }
        if (level != 5) {
            throw new SuperblockException("unsupported RAID level " + level + " (raid5d runs raid5 only)");
        }
        try {
            layout = Layout.fromMdCode(layoutCode);
        } catch (IllegalArgumentException e) {
            throw new SuperblockException("unsupported RAID-5 layout " + Integer.toUnsignedString(layoutCode), e);
        }
        if (superOffset != V12_SUPER_OFFSET) {
            throw new SuperblockException("super_offset is " + Long.toUnsignedString(superOffset)
                    + " sectors, but a v1.2 superblock lives at sector " + V12_SUPER_OFFSET);
        }
        if (chunkSectors < 8 || Integer.bitCount(chunkSectors) != 1) {
            throw new SuperblockException("impossible chunk size " + Integer.toUnsignedString(chunkSectors)
                    + " sectors (must be a power of two, at least 4 KiB)");
        }
        if (raidDisks < 2 || raidDisks > devRoles.length) {
            throw new SuperblockException("impossible raid_disks " + Integer.toUnsignedString(raidDisks)
                    + " (max_dev " + devRoles.length + ")");
        }
        long superEnd = superOffset + 8;
        if (dataOffset < superEnd) {
            throw new SuperblockException("data_offset " + Long.toUnsignedString(dataOffset)
                    + " sectors lies inside the superblock area (sectors " + superOffset + ".." + (superEnd - 1) + ")");
        }
        if (size <= 0) {
            throw new SuperblockException("impossible component size " + Long.toUnsignedString(size) + " sectors");
        }
        if (Long.compareUnsigned(size, dataSize) > 0) {
            throw new SuperblockException("component size " + size + " sectors exceeds data_size "
                    + Long.toUnsignedString(dataSize) + " sectors");
        }
        if (dataSize < 0 || dataOffset < 0 || dataOffset + dataSize < 0) {
            throw new SuperblockException("impossible data area: data_offset " + Long.toUnsignedString(dataOffset)
                    + ", data_size " + Long.toUnsignedString(dataSize));
        }
        if (Integer.compareUnsigned(devNumber, devRoles.length) >= 0) {
            throw new SuperblockException("dev_number " + Integer.toUnsignedString(devNumber)
                    + " has no dev_roles slot (max_dev " + devRoles.length + ")");
        }
        if (hasBitmap()) {
            long bitmapSector = superOffset + bitmapOffset;
            if (bitmapOffset == 0 || bitmapSector < 0 || bitmapSector >= dataOffset) {
                throw new SuperblockException("bitmap_offset " + bitmapOffset
                        + " sectors does not point between the superblock and data_offset " + dataOffset);
            }
        }
    }

    private static String unsupportedFeatureNames(int bits) {
        StringBuilder s = new StringBuilder();
        appendIf(s, bits, FEATURE_RESHAPE_ACTIVE | FEATURE_RESHAPE_BACKWARDS | FEATURE_NEW_OFFSET,
                "an unfinished reshape");
        appendIf(s, bits, FEATURE_JOURNAL, "a write journal");
        appendIf(s, bits, FEATURE_PPL | FEATURE_MULTIPLE_PPLS, "a partial parity log");
        return s.toString();
    }

    private static void appendIf(StringBuilder s, int bits, int mask, String what) {
        if ((bits & mask) != 0) {
            if (s.length() > 0) {
                s.append(" and ");
            }
            s.append(what);
        }
    }

    /**
     * Encodes this superblock, computing the checksum and storing it both in the buffer and in
     * this object. The buffer holds 256 + 2*max_dev bytes rounded up to a 512-byte sector (the tail
     * past dev_roles is 0xff, as mdadm leaves it), position 0.
     */
    public ByteBuffer encode() {
        int used = FIXED_SIZE + 2 * devRoles.length;
        int total = (used + 511) / 512 * 512;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, MAGIC);
        b.putInt(4, MAJOR_VERSION);
        b.putInt(8, featureMap);
        b.position(16);
        b.put(setUuid);
        byte[] name = setName.getBytes(StandardCharsets.UTF_8);
        b.put(name);
        b.putLong(64, ctime);
        b.putInt(72, level);
        b.putInt(76, layout.mdCode());
        b.putLong(80, size);
        b.putInt(88, chunkSectors);
        b.putInt(92, raidDisks);
        b.putInt(96, bitmapOffset);
        b.putLong(128, dataOffset);
        b.putLong(136, dataSize);
        b.putLong(144, superOffset);
        b.putLong(152, recoveryOffset);
        b.putInt(160, devNumber);
        b.putInt(164, cntCorrectedRead);
        b.position(168);
        b.put(deviceUuid);
        b.put(184, (byte) devFlags);
        b.put(185, (byte) bblogShift);
        b.putShort(186, (short) bblogSize);
        b.putInt(188, bblogOffset);
        b.putLong(192, utime);
        b.putLong(200, events);
        b.putLong(208, resyncOffset);
        b.putInt(220, devRoles.length);
        for (int i = 0; i < devRoles.length; i++) {
            b.putShort(FIXED_SIZE + 2 * i, (short) devRoles[i]);
        }
        for (int i = used; i < total; i++) {
            b.put(i, (byte) 0xff);
        }
        b.position(0);
        int csum = SuperblockChecksum.compute(b, devRoles.length);
        b.putInt(SuperblockChecksum.CSUM_OFFSET, csum);
        checksum = csum;
        expectedChecksum = csum;
        return b;
    }

    public Superblock copy() {
        Superblock c = new Superblock();
        c.featureMap = featureMap;
        c.setUuid = setUuid.clone();
        c.setName = setName;
        c.ctime = ctime;
        c.level = level;
        c.layout = layout;
        c.size = size;
        c.chunkSectors = chunkSectors;
        c.raidDisks = raidDisks;
        c.bitmapOffset = bitmapOffset;
        c.dataOffset = dataOffset;
        c.dataSize = dataSize;
        c.superOffset = superOffset;
        c.recoveryOffset = recoveryOffset;
        c.devNumber = devNumber;
        c.cntCorrectedRead = cntCorrectedRead;
        c.deviceUuid = deviceUuid.clone();
        c.devFlags = devFlags;
        c.bblogShift = bblogShift;
        c.bblogSize = bblogSize;
        c.bblogOffset = bblogOffset;
        c.utime = utime;
        c.events = events;
        c.resyncOffset = resyncOffset;
        c.checksum = checksum;
        c.expectedChecksum = expectedChecksum;
        c.devRoles = devRoles.clone();
        return c;
    }

    // ---- derived views -------------------------------------------------------------------

    /** True when the whole array is known to be in sync (resync_offset is all ones). */
    public boolean isClean() {
        return resyncOffset == RESYNC_DONE;
    }

    public boolean hasBitmap() {
        return (featureMap & FEATURE_BITMAP_OFFSET) != 0;
    }

    public boolean hasRecoveryOffset() {
        return (featureMap & FEATURE_RECOVERY_OFFSET) != 0;
    }

    public boolean isReplacement() {
        return (featureMap & FEATURE_REPLACEMENT) != 0;
    }

    /** The role recorded for device slot {@code devNumber}: 0.., or ROLE_SPARE when out of range. */
    public int roleOf(int devNumber) {
        if (devNumber < 0 || devNumber >= devRoles.length) {
            return ROLE_SPARE;
        }
        return devRoles[devNumber];
    }

    /** This member's own role (roleOf(dev_number)). */
    public int role() {
        return roleOf(devNumber);
    }

    /** True when {@code role} is an active slot index rather than spare/faulty/journal. */
    public static boolean isActiveRole(int role) {
        return role >= 0 && role < ROLE_JOURNAL;
    }

    public int chunkBytes() {
        return chunkSectors * 512;
    }

    /** Usable array size in sectors: size * (raid_disks - 1). */
    public long arraySectors() {
        return size * (raidDisks - 1);
    }

    public Instant ctimeInstant() {
        return MdTimestamp.toInstant(ctime);
    }

    public Instant utimeInstant() {
        return MdTimestamp.toInstant(utime);
    }

    private static String cString(byte[] raw) {
        int n = 0;
        while (n < raw.length && raw[n] != 0) {
            n++;
        }
        return new String(raw, 0, n, StandardCharsets.UTF_8);
    }

    // ---- fields --------------------------------------------------------------------------

    public int getMagic() {
        return MAGIC;
    }

    public int getMajorVersion() {
        return MAJOR_VERSION;
    }

    public int getFeatureMap() {
        return featureMap;
    }

    public void setFeatureMap(int featureMap) {
        this.featureMap = featureMap;
    }

    public byte[] getSetUuid() {
        return setUuid.clone();
    }

    public void setSetUuid(byte[] uuid) {
        this.setUuid = uuid16(uuid);
    }

    public String getSetName() {
        return setName;
    }

    /** Up to 32 bytes of UTF-8, stored NUL padded. */
    public void setSetName(String name) {
        int len = name.getBytes(StandardCharsets.UTF_8).length;
        if (len > NAME_BYTES) {
            throw new IllegalArgumentException("array name '" + name + "' is " + len + " bytes; at most "
                    + NAME_BYTES + " fit in the superblock");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("array name must not contain NUL");
        }
        this.setName = name;
    }

    /** Raw ctime: low 40 bits seconds, high 24 bits microseconds. */
    public long getCtime() {
        return ctime;
    }

    public void setCtime(long ctime) {
        this.ctime = ctime;
    }

    public int getLevel() {
        return level;
    }

    public void setLevel(int level) {
        this.level = level;
    }

    public Layout getLayout() {
        return layout;
    }

    public void setLayout(Layout layout) {
        this.layout = java.util.Objects.requireNonNull(layout, "layout");
    }

    /** Sectors of each member used by the array (md's component size). */
    public long getSize() {
        return size;
    }

    public void setSize(long size) {
        this.size = size;
    }

    public int getChunkSectors() {
        return chunkSectors;
    }

    public void setChunkSectors(int chunkSectors) {
        this.chunkSectors = chunkSectors;
    }

    public int getRaidDisks() {
        return raidDisks;
    }

    public void setRaidDisks(int raidDisks) {
        this.raidDisks = raidDisks;
    }

    /** Signed sectors from the superblock to the internal bitmap; meaningful with FEATURE_BITMAP_OFFSET. */
    public int getBitmapOffset() {
        return bitmapOffset;
    }

    public void setBitmapOffset(int bitmapOffset) {
        this.bitmapOffset = bitmapOffset;
    }

    public long getDataOffset() {
        return dataOffset;
    }

    public void setDataOffset(long dataOffset) {
        this.dataOffset = dataOffset;
    }

    /** Sectors after data_offset available on this member (at least size). */
    public long getDataSize() {
        return dataSize;
    }

    public void setDataSize(long dataSize) {
        this.dataSize = dataSize;
    }

    public long getSuperOffset() {
        return superOffset;
    }

    public void setSuperOffset(long superOffset) {
        this.superOffset = superOffset;
    }

    /** Sectors (from data_offset) already recovered on a rebuilding member; with FEATURE_RECOVERY_OFFSET. */
    public long getRecoveryOffset() {
        return recoveryOffset;
    }

    public void setRecoveryOffset(long recoveryOffset) {
        this.recoveryOffset = recoveryOffset;
    }

    /** This member's slot in dev_roles (not its role). */
    public int getDevNumber() {
        return devNumber;
    }

    public void setDevNumber(int devNumber) {
        this.devNumber = devNumber;
    }

    public int getCntCorrectedRead() {
        return cntCorrectedRead;
    }

    public void setCntCorrectedRead(int cntCorrectedRead) {
        this.cntCorrectedRead = cntCorrectedRead;
    }

    public byte[] getDeviceUuid() {
        return deviceUuid.clone();
    }

    public void setDeviceUuid(byte[] uuid) {
        this.deviceUuid = uuid16(uuid);
    }

    public int getDevFlags() {
        return devFlags;
    }

    public void setDevFlags(int devFlags) {
        this.devFlags = devFlags & 0xff;
    }

    public int getBblogShift() {
        return bblogShift;
    }

    public void setBblogShift(int bblogShift) {
        this.bblogShift = bblogShift & 0xff;
    }

    /** Sectors reserved for the bad block log (0 = none). */
    public int getBblogSize() {
        return bblogSize;
    }

    public void setBblogSize(int bblogSize) {
        this.bblogSize = bblogSize & 0xffff;
    }

    /** Signed sectors from the superblock to the bad block log. */
    public int getBblogOffset() {
        return bblogOffset;
    }

    public void setBblogOffset(int bblogOffset) {
        this.bblogOffset = bblogOffset;
    }

    /** Raw utime: low 40 bits seconds, high 24 bits microseconds. */
    public long getUtime() {
        return utime;
    }

    public void setUtime(long utime) {
        this.utime = utime;
    }

    public long getEvents() {
        return events;
    }

    public void setEvents(long events) {
        this.events = events;
    }

    /** Sectors (from data_offset) known in sync; all ones = clean, 0 = needs a full resync. */
    public long getResyncOffset() {
        return resyncOffset;
    }

    public void setResyncOffset(long resyncOffset) {
        this.resyncOffset = resyncOffset;
    }

    /** The sb_csum as read from disk (or as last computed by {@link #encode()}). */
    public int getChecksum() {
        return checksum;
    }

    /** The checksum the bytes read should have had (equal to getChecksum() unless decoded leniently). */
    public int getExpectedChecksum() {
        return expectedChecksum;
    }

    /** Number of dev_roles slots. */
    public int getMaxDev() {
        return devRoles.length;
    }

    /** Resizes dev_roles; new slots are ROLE_SPARE (unused). */
    public void setMaxDev(int maxDev) {
        if (maxDev < 0 || maxDev > MAX_DEVS) {
            throw new IllegalArgumentException("max_dev " + maxDev + " outside 0.." + MAX_DEVS);
        }
        int old = devRoles.length;
        devRoles = Arrays.copyOf(devRoles, maxDev);
        for (int i = old; i < maxDev; i++) {
            devRoles[i] = ROLE_SPARE;
        }
    }

    /** A copy of dev_roles (u16 values), indexed by dev_number. */
    public int[] getDevRoles() {
        return devRoles.clone();
    }

    public void setDevRoles(int[] roles) {
        if (roles.length > MAX_DEVS) {
            throw new IllegalArgumentException("at most " + MAX_DEVS + " dev_roles, got " + roles.length);
        }
        int[] copy = roles.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] < 0 || copy[i] > 0xffff) {
                throw new IllegalArgumentException("dev_roles[" + i + "] = " + copy[i] + " is not a u16");
            }
        }
        this.devRoles = copy;
    }

    /** Sets one dev_roles slot, growing max_dev if needed. */
    public void setRole(int devNumber, int role) {
        if (role < 0 || role > 0xffff) {
            throw new IllegalArgumentException("role " + role + " is not a u16");
        }
        if (devNumber >= devRoles.length) {
            setMaxDev(devNumber + 1);
        }
        devRoles[devNumber] = role;
    }

    private static byte[] uuid16(byte[] uuid) {
        if (uuid.length != 16) {
            throw new IllegalArgumentException("a UUID has 16 bytes, got " + uuid.length);
        }
        return uuid.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Superblock)) {
            return false;
        }
        Superblock x = (Superblock) o;
        return featureMap == x.featureMap && Arrays.equals(setUuid, x.setUuid) && setName.equals(x.setName)
                && ctime == x.ctime && level == x.level && layout == x.layout && size == x.size
                && chunkSectors == x.chunkSectors && raidDisks == x.raidDisks && bitmapOffset == x.bitmapOffset
                && dataOffset == x.dataOffset && dataSize == x.dataSize && superOffset == x.superOffset
                && recoveryOffset == x.recoveryOffset && devNumber == x.devNumber
                && cntCorrectedRead == x.cntCorrectedRead && Arrays.equals(deviceUuid, x.deviceUuid)
                && devFlags == x.devFlags && bblogShift == x.bblogShift && bblogSize == x.bblogSize
                && bblogOffset == x.bblogOffset && utime == x.utime && events == x.events
                && resyncOffset == x.resyncOffset && Arrays.equals(devRoles, x.devRoles);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(setUuid) * 31 + Arrays.hashCode(deviceUuid)) * 31 + Long.hashCode(events);
    }

    @Override
    public String toString() {
        return "Superblock{uuid=" + MdUuid.format(setUuid) + ", name=" + setName + ", layout=" + layout.mdName()
                + ", chunkSectors=" + chunkSectors + ", raidDisks=" + raidDisks + ", size=" + size
                + ", dataOffset=" + dataOffset + ", devNumber=" + devNumber + ", role=" + role()
                + ", events=" + events + ", resyncOffset=" + resyncOffset + ", featureMap=0x"
                + Integer.toHexString(featureMap) + "}";
    }
}
