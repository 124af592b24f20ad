package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.MdFields;
import io.raid5d.core.geometry.Layout;
import java.nio.ByteBuffer;
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

    static final int NAME_BYTES = 32; // set_name, also read by the codec

    // Package-private: SuperblockCodec reads and writes them as md lays them out.
    int featureMap;
    byte[] setUuid = new byte[16];
    String setName = "";
    long ctime;
    int level = 5;
    Layout layout = Layout.LEFT_SYMMETRIC;
    long size;
    int chunkSectors;
    int raidDisks;
    int bitmapOffset;
    // md's reshape fields (100..127): meaningful only with FEATURE_RESHAPE_ACTIVE (new_offset with
    // FEATURE_NEW_OFFSET too); md leaves stale values there after a reshape, so the bits decide
    int newLevel;
    long reshapePosition;
    int deltaDisks;
    int newLayoutCode;
    int newChunkSectors;
    int newOffset;
    long dataOffset;
    long dataSize;
    long superOffset = V12_SUPER_OFFSET;
    long recoveryOffset;
    int devNumber;
    int cntCorrectedRead;
    byte[] deviceUuid = new byte[16];
    int devFlags;
    int bblogShift;
    int bblogSize;
    int bblogOffset;
    long utime;
    long events;
    long resyncOffset;
    int checksum;
    int expectedChecksum;
    int[] devRoles = new int[0];

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
        return SuperblockCodec.decode(src, true, false);
    }

    /**
     * Like {@link #decode} but a checksum mismatch is not an error ({@link #getChecksum()} and
     * {@link #getExpectedChecksum()} tell it), and a member in the middle of md's reshape is
     * accepted ({@link #reshapeActive()} tells it). For showing members and for protecting them
     * from being overwritten, never for running them.
     */
    public static Superblock decodeLenient(ByteBuffer src) throws SuperblockException {
        return SuperblockCodec.decode(src, false, true);
    }

    /** As {@link #decode}, a member in the middle of a reshape accepted: for the grow that resumes it. */
    public static Superblock decodeReshaping(ByteBuffer src) throws SuperblockException {
        return SuperblockCodec.decode(src, true, true);
    }

    /**
     * Encodes this superblock, computing the checksum and storing it both in the buffer and in
     * this object. The buffer holds 256 + 2*max_dev bytes rounded up to a 512-byte sector (the tail
     * past dev_roles is 0xff, as mdadm leaves it), position 0.
     */
    public ByteBuffer encode() {
        return SuperblockCodec.encode(this);
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
        c.newLevel = newLevel;
        c.reshapePosition = reshapePosition;
        c.deltaDisks = deltaDisks;
        c.newLayoutCode = newLayoutCode;
        c.newChunkSectors = newChunkSectors;
        c.newOffset = newOffset;
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

    /** md is reshaping this array (FEATURE_RESHAPE_ACTIVE): the reshape fields are valid. */
    public boolean reshapeActive() {
        return (featureMap & FEATURE_RESHAPE_ACTIVE) != 0;
    }

    /**
     * Where this member's data starts in the new geometry: data_offset plus the signed new_offset
     * when md says to honour it (RESHAPE_ACTIVE and NEW_OFFSET, as the kernel's super_1_load
     * reads it), else data_offset.
     */
    public long newDataOffset() {
        int both = FEATURE_RESHAPE_ACTIVE | FEATURE_NEW_OFFSET;
        return (featureMap & both) == both ? dataOffset + newOffset : dataOffset;
    }

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
        this.setUuid = MdFields.uuid16(uuid);
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
        this.deviceUuid = MdFields.uuid16(uuid);
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
    /** Level being reshaped to (with RESHAPE_ACTIVE). */
    public int getNewLevel() { return newLevel; }
    public void setNewLevel(int v) { newLevel = v; }
    /** The next array sector the reshape works on: array sectors below it are in the new geometry (with RESHAPE_ACTIVE). */
    public long getReshapePosition() { return reshapePosition; }
    public void setReshapePosition(long v) { reshapePosition = v; }
    /** New raid_disks minus old (raid_disks already holds the new count while reshaping). */
    public int getDeltaDisks() { return deltaDisks; }
    public void setDeltaDisks(int v) { deltaDisks = v; }
    /** md's layout code being reshaped to, raw (it need not be one raid5d runs). */
    public int getNewLayoutCode() { return newLayoutCode; }
    public void setNewLayoutCode(int v) { newLayoutCode = v; }
    /** Chunk being reshaped to, in sectors. */
    public int getNewChunkSectors() { return newChunkSectors; }
    public void setNewChunkSectors(int v) { newChunkSectors = v; }
    /** Signed sectors to add to data_offset for the new geometry (with NEW_OFFSET). */
    public int getNewOffset() { return newOffset; }
    public void setNewOffset(int v) { newOffset = v; }

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

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Superblock)) {
            return false;
        }
        Superblock x = (Superblock) o;
        return featureMap == x.featureMap && Arrays.equals(setUuid, x.setUuid) && setName.equals(x.setName)
                && ctime == x.ctime && level == x.level && layout == x.layout && size == x.size
                && chunkSectors == x.chunkSectors && raidDisks == x.raidDisks && bitmapOffset == x.bitmapOffset
                && newLevel == x.newLevel && reshapePosition == x.reshapePosition && deltaDisks == x.deltaDisks
                && newLayoutCode == x.newLayoutCode && newChunkSectors == x.newChunkSectors && newOffset == x.newOffset
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
