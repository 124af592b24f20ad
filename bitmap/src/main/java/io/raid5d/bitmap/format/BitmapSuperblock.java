package io.raid5d.bitmap.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The 256-byte md write-intent bitmap superblock, as Linux md and mdadm lay it out.
 *
 * <p>All integers little-endian. Offsets: 0 magic "bitm"; 4 version; 8 uuid[16]; 24 events;
 * 32 events_cleared; 40 sync_size (sectors per member covered); 48 state; 52 chunksize (bytes);
 * 56 daemon_sleep (seconds); 60 write_behind; 64 sectors_reserved; 68 nodes; 72 cluster_name[64];
 * the rest is padding. The bits follow the header, one per chunk, least significant bit first.
 *
 * <p>A mutable value; not thread-safe.
 */
public final class BitmapSuperblock {
    public static final int MAGIC = 0x6d746962;
    public static final int SIZE = 256;
    /** Oldest version this code reads (md's BITMAP_MAJOR_LO). */
    public static final int VERSION_LO = 3;
    /** The version mdadm writes for v1.x arrays (md's BITMAP_MAJOR_HI). */
    public static final int VERSION_HI = 4;
    /** md's default flush period, seconds. */
    public static final int DEFAULT_DAEMON_SLEEP = 5;
    /** State bit: the bitmap is out of date and must not be trusted. */
    public static final int STATE_STALE = 1 << 1;
    /** State bit: a write to the bitmap failed. */
    public static final int STATE_WRITE_ERROR = 1 << 2;
    /** md's COUNTER_MAX: write_behind above it is impossible. */
    public static final int MAX_WRITE_BEHIND = 16383;
    private static final int CLUSTER_NAME_BYTES = 64;

    private int version = VERSION_HI;
    private byte[] uuid = new byte[16];
    private long events;
    private long eventsCleared;
    private long syncSize;
    private int state;
    private int chunkSize;
    private int daemonSleep = DEFAULT_DAEMON_SLEEP;
    private int writeBehind;
    private int sectorsReserved;
    private int nodes;
    private String clusterName = "";

    public BitmapSuperblock() {
    }

    /**
     * Decodes the header at the buffer's position (the buffer's position is not moved).
     *
     * @throws BitmapFormatException when the bytes are not a usable md bitmap superblock
     */
    public static BitmapSuperblock decode(ByteBuffer src) throws BitmapFormatException {
        if (src.remaining() < SIZE) {
            throw new BitmapFormatException("bitmap superblock needs " + SIZE + " bytes, got " + src.remaining());
        }
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new BitmapFormatException(String.format(
                    "no md bitmap: magic is 0x%08x, expected 0x%08x (\"bitm\")", magic, MAGIC));
        }
        BitmapSuperblock sb = new BitmapSuperblock();
        sb.version = b.getInt(4);
        if (sb.version < VERSION_LO || sb.version > VERSION_HI) {
            throw new BitmapFormatException("unsupported md bitmap version " + sb.version
                    + " (versions " + VERSION_LO + " and " + VERSION_HI + " are supported; 5 is clustered md)");
        }
        b.position(8);
        b.get(sb.uuid);
        sb.events = b.getLong(24);
        sb.eventsCleared = b.getLong(32);
        sb.syncSize = b.getLong(40);
        sb.state = b.getInt(48);
        sb.chunkSize = b.getInt(52);
        sb.daemonSleep = b.getInt(56);
        sb.writeBehind = b.getInt(60);
        sb.sectorsReserved = b.getInt(64);
        sb.nodes = b.getInt(68);
        byte[] name = new byte[CLUSTER_NAME_BYTES];
        b.position(72);
        b.get(name);
        sb.clusterName = MdFields.cString(name);
        sb.validate();
        return sb;
    }

    private void validate() throws BitmapFormatException {
        if (chunkSize < 512 || Integer.bitCount(chunkSize) != 1) {
            throw new BitmapFormatException("impossible bitmap chunk size " + Integer.toUnsignedString(chunkSize)
                    + " bytes (must be a power of two, at least 512)");
        }
        if (daemonSleep < 1) {
            throw new BitmapFormatException("impossible bitmap daemon_sleep " + daemonSleep + " seconds");
        }
        if (writeBehind < 0 || writeBehind > MAX_WRITE_BEHIND) {
            throw new BitmapFormatException("impossible bitmap write_behind " + Integer.toUnsignedString(writeBehind)
                    + " (at most " + MAX_WRITE_BEHIND + ")");
        }
        if (syncSize < 0) {
            throw new BitmapFormatException("impossible bitmap sync_size " + Long.toUnsignedString(syncSize));
        }
        if (nodes != 0) {
            throw new BitmapFormatException("clustered md bitmap (" + Integer.toUnsignedString(nodes)
                    + " nodes) is not supported");
        }
    }

    /** The 256-byte little-endian header, position 0, limit 256. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        encodeInto(b);
        b.flip();
        return b;
    }

    /** Writes the 256-byte header at the buffer's position and advances it. */
    public void encodeInto(ByteBuffer dst) {
        ByteBuffer b = dst.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < SIZE) {
            throw new IllegalArgumentException("need " + SIZE + " bytes to encode a bitmap superblock");
        }
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(0, MAGIC);
        b.putInt(4, version);
        b.position(8);
        b.put(uuid);
        b.putLong(24, events);
        b.putLong(32, eventsCleared);
        b.putLong(40, syncSize);
        b.putInt(48, state);
        b.putInt(52, chunkSize);
        b.putInt(56, daemonSleep);
        b.putInt(60, writeBehind);
        b.putInt(64, sectorsReserved);
        b.putInt(68, nodes);
        byte[] name = clusterName.getBytes(StandardCharsets.UTF_8);
        b.position(72);
        b.put(name, 0, Math.min(name.length, CLUSTER_NAME_BYTES - 1));
        dst.position(dst.position() + SIZE);
    }

    /** Number of bitmap chunks: ceil(sync_size * 512 / chunksize). */
    public long bitCount() {
        if (chunkSize <= 0) {
            return 0;
        }
        return ceilDiv(syncSize * 512, Integer.toUnsignedLong(chunkSize));
    }

    /** Bytes needed for the bits: ceil(bitCount / 8). */
    public long bitsBytes() {
        return ceilDiv(bitCount(), 8);
    }

    /** Header plus bits rounded up to {@code boundary} bytes (md reserves 4096-byte multiples). */
    public long areaBytes(int boundary) {
        return ceilDiv(SIZE + bitsBytes(), boundary) * boundary;
    }

    /** The bitmap chunk (0-based) that covers member sector {@code sector} (counted from data_offset). */
    public long chunkOf(long sector) {
        return sector * 512 / Integer.toUnsignedLong(chunkSize);
    }

    public boolean isStale() {
        return (state & STATE_STALE) != 0;
    }

    public boolean hasWriteError() {
        return (state & STATE_WRITE_ERROR) != 0;
    }

    public BitmapSuperblock copy() {
        BitmapSuperblock c = new BitmapSuperblock();
        c.version = version;
        c.uuid = uuid.clone();
        c.events = events;
        c.eventsCleared = eventsCleared;
        c.syncSize = syncSize;
        c.state = state;
        c.chunkSize = chunkSize;
        c.daemonSleep = daemonSleep;
        c.writeBehind = writeBehind;
        c.sectorsReserved = sectorsReserved;
        c.nodes = nodes;
        c.clusterName = clusterName;
        return c;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    public int getMagic() {
        return MAGIC;
    }

    public int getVersion() {
        return version;
    }

    public void setVersion(int version) {
        this.version = version;
    }

    /** A copy of the array UUID (same bytes as the superblock's set_uuid). */
    public byte[] getUuid() {
        return uuid.clone();
    }

    public void setUuid(byte[] uuid) {
        this.uuid = MdFields.uuid16(uuid);
    }

    public long getEvents() {
        return events;
    }

    public void setEvents(long events) {
        this.events = events;
    }

    public long getEventsCleared() {
        return eventsCleared;
    }

    public void setEventsCleared(long eventsCleared) {
        this.eventsCleared = eventsCleared;
    }

    /** Sectors per member covered by the bitmap (the component size). */
    public long getSyncSize() {
        return syncSize;
    }

    public void setSyncSize(long syncSize) {
        this.syncSize = syncSize;
    }

    public int getState() {
        return state;
    }

    public void setState(int state) {
        this.state = state;
    }

    /** Bytes of member data per bit. */
    public int getChunkSize() {
        return chunkSize;
    }

    public void setChunkSize(int chunkSize) {
        this.chunkSize = chunkSize;
    }

    public int getDaemonSleep() {
        return daemonSleep;
    }

    public void setDaemonSleep(int daemonSleep) {
        this.daemonSleep = daemonSleep;
    }

    public int getWriteBehind() {
        return writeBehind;
    }

    public void setWriteBehind(int writeBehind) {
        this.writeBehind = writeBehind;
    }

    public int getSectorsReserved() {
        return sectorsReserved;
    }

    public void setSectorsReserved(int sectorsReserved) {
        this.sectorsReserved = sectorsReserved;
    }

    public int getNodes() {
        return nodes;
    }

    public void setNodes(int nodes) {
        this.nodes = nodes;
    }

    public String getClusterName() {
        return clusterName;
    }

    public void setClusterName(String clusterName) {
        this.clusterName = clusterName;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BitmapSuperblock)) {
            return false;
        }
        BitmapSuperblock x = (BitmapSuperblock) o;
        return version == x.version && Arrays.equals(uuid, x.uuid) && events == x.events
                && eventsCleared == x.eventsCleared && syncSize == x.syncSize && state == x.state
                && chunkSize == x.chunkSize && daemonSleep == x.daemonSleep && writeBehind == x.writeBehind
                && sectorsReserved == x.sectorsReserved && nodes == x.nodes && clusterName.equals(x.clusterName);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(uuid) * 31 + Long.hashCode(events) * 17 + chunkSize;
    }

    @Override
    public String toString() {
        return "BitmapSuperblock{version=" + version + ", events=" + events + ", eventsCleared=" + eventsCleared
                + ", syncSize=" + syncSize + ", state=" + state + ", chunkSize=" + chunkSize
                + ", daemonSleep=" + daemonSleep + ", bits=" + bitCount() + "}";
    }
}
