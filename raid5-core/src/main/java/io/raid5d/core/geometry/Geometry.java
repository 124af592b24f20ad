package io.raid5d.core.geometry;

import java.util.Objects;

/**
 * The address mapping of a RAID-5 array: which member and member sector hold each array
 * sector, and which member holds the parity of each chunk row ("row").
 *
 * <p>Follows Linux md's {@code raid5_compute_sector}: with {@code n} raid disks, chunk
 * {@code c} sectors and {@code d = n - 1} data disks, array chunk {@code k = sector / c}
 * lies in row {@code s = k / d} at data index {@code dd = k % d}; the layout picks the
 * parity member {@code pd} and the data member for {@code dd}; the member sector is
 * {@code s * c + sector % c}. Member sectors here are relative to the start of the data
 * area (md's data_offset is not included).
 *
 * <p>Immutable and thread-safe; the mapping methods allocate nothing.
 */
public final class Geometry {

    /** md chunks are at least 4 KiB (8 sectors). */
    public static final int MIN_CHUNK_SECTORS = 8;
    /** Largest chunk whose byte size still fits in an int (1 GiB). */
    public static final int MAX_CHUNK_SECTORS = 1 << 21;
    public static final int SECTOR_BYTES = 512;

    private final int raidDisks;
    private final int dataDisks;
    private final int chunkSectors;
    private final int chunkShift;
    private final Layout layout;
    private final long memberSectors;
    private final long rowCount;
    private final long arraySectors;

    private Geometry(int raidDisks, int chunkSectors, Layout layout, long memberSectors) {
        this.raidDisks = raidDisks;
        this.dataDisks = raidDisks - 1;
        this.chunkSectors = chunkSectors;
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSectors);
        this.layout = layout;
        this.rowCount = memberSectors >>> chunkShift;
        this.memberSectors = rowCount << chunkShift;
        this.arraySectors = Math.multiplyExact(this.memberSectors, (long) dataDisks);
    }

    /**
     * @param raidDisks     number of members, parity included (at least 3)
     * @param chunkSectors  chunk size in 512-byte sectors (a power of two, at least 8)
     * @param layout        parity layout
     * @param memberSectors data sectors used on each member (md's "size"); rounded down to
     *                      a whole number of chunks
     */
    public static Geometry of(int raidDisks, int chunkSectors, Layout layout, long memberSectors) {
        Objects.requireNonNull(layout, "layout");
        if (raidDisks < 3) {
            throw new IllegalArgumentException("RAID-5 needs at least 3 raid disks, got " + raidDisks);
        }
        if (chunkSectors < MIN_CHUNK_SECTORS || Integer.bitCount(chunkSectors) != 1) {
            throw new IllegalArgumentException("chunk size must be a power of two of at least "
                    + MIN_CHUNK_SECTORS + " sectors (4 KiB), got " + chunkSectors + " sectors");
        }
        if (chunkSectors > MAX_CHUNK_SECTORS) {
            throw new IllegalArgumentException("chunk size must be at most " + MAX_CHUNK_SECTORS
                    + " sectors (1 GiB), got " + chunkSectors + " sectors");
        }
        if (memberSectors < chunkSectors) {
            throw new IllegalArgumentException("member data size of " + memberSectors
                    + " sectors is smaller than one chunk (" + chunkSectors + " sectors)");
        }
        if (memberSectors > Long.MAX_VALUE / SECTOR_BYTES / (raidDisks - 1)) {
            throw new IllegalArgumentException("member data size of " + memberSectors
                    + " sectors is too large for " + raidDisks + " raid disks");
        }
        return new Geometry(raidDisks, chunkSectors, layout, memberSectors);
    }

    public int raidDisks() {
        return raidDisks;
    }

    public int dataDisks() {
        return dataDisks;
    }

    public int chunkSectors() {
        return chunkSectors;
    }

    public int chunkBytes() {
        return chunkSectors * SECTOR_BYTES;
    }

    public Layout layout() {
        return layout;
    }

    /** Data sectors used on each member, a whole number of chunks. */
    public long memberSectors() {
        return memberSectors;
    }

    /** Number of chunk rows in the array (md calls a row a stripe; the engine keeps "stripe head" for a page-wide column of one). */
    public long rowCount() {
        return rowCount;
    }

    /** Array sectors in one row (the data chunks of one row). */
    public long rowDataSectors() {
        return (long) chunkSectors * dataDisks;
    }

    public long arraySectors() {
        return arraySectors;
    }

    public long arrayBytes() {
        return arraySectors * SECTOR_BYTES;
    }

    /** The member holding the parity chunk of {@code row}. */
    public int parityDisk(long row) {
        checkRow(row);
        return parityOf(row);
    }

    /** The member holding the {@code dataIndex}-th data chunk (0-based) of {@code row}. */
    public int dataMember(long row, int dataIndex) {
        checkRow(row);
        if (dataIndex < 0 || dataIndex >= dataDisks) {
            throw new IndexOutOfBoundsException("data index " + dataIndex + " outside 0.." + (dataDisks - 1));
        }
        return memberOfDataIndex(parityOf(row), dataIndex);
    }

    /** The data index of {@code member}'s chunk in {@code row}, or -1 if it holds the parity. */
    public int dataIndexOf(long row, int member) {
        checkRow(row);
        checkMember(member);
        int pd = parityOf(row);
        if (member == pd) {
            return -1;
        }
        switch (layout) {
            case LEFT_ASYMMETRIC:
            case RIGHT_ASYMMETRIC:
                return member > pd ? member - 1 : member;
            case LEFT_SYMMETRIC:
            case RIGHT_SYMMETRIC: {
                int dd = member - pd - 1;
                return dd < 0 ? dd + raidDisks : dd;
            }
            case PARITY_FIRST:
                return member - 1;
            case PARITY_LAST:
                return member;
            default:
                throw new AssertionError(layout);
        }
    }

    /** The member holding {@code arraySector}. */
    public int memberOf(long arraySector) {
        checkArraySector(arraySector);
        long chunk = arraySector >>> chunkShift;
        long row = chunk / dataDisks;
        int dd = (int) (chunk - row * dataDisks);
        return memberOfDataIndex(parityOf(row), dd);
    }

    /** The sector on the member holding {@code arraySector}, relative to the data area. */
    public long memberSectorOf(long arraySector) {
        checkArraySector(arraySector);
        long row = (arraySector >>> chunkShift) / dataDisks;
        return (row << chunkShift) | (arraySector & (chunkSectors - 1));
    }

    /** The row  holding {@code arraySector}. */
    public long rowOf(long arraySector) {
        checkArraySector(arraySector);
        return (arraySector >>> chunkShift) / dataDisks;
    }

    /** The data index within its row of the chunk holding {@code arraySector}. */
    public int dataIndexOfSector(long arraySector) {
        checkArraySector(arraySector);
        long chunk = arraySector >>> chunkShift;
        return (int) (chunk % dataDisks);
    }

    /** The first array sector of {@code row}. */
    public long rowStartSector(long row) {
        checkRow(row);
        return row * rowDataSectors();
    }

    /**
     * The array sector stored at {@code memberSector} (relative to the data area) of
     * {@code member}, or -1 if that sector belongs to a parity chunk.
     */
    public long arraySectorOf(int member, long memberSector) {
        checkMember(member);
        if (memberSector < 0 || memberSector >= memberSectors) {
            throw new IndexOutOfBoundsException("member sector " + memberSector
                    + " outside 0.." + (memberSectors - 1));
        }
        long row = memberSector >>> chunkShift;
        int dd = dataIndexOf(row, member);
        if (dd < 0) {
            return -1;
        }
        long chunk = row * dataDisks + dd;
        return (chunk << chunkShift) | (memberSector & (chunkSectors - 1));
    }

    private int parityOf(long row) {
        switch (layout) {
            case LEFT_ASYMMETRIC:
            case LEFT_SYMMETRIC:
                return dataDisks - (int) (row % raidDisks);
            case RIGHT_ASYMMETRIC:
            case RIGHT_SYMMETRIC:
                return (int) (row % raidDisks);
            case PARITY_FIRST:
                return 0;
            case PARITY_LAST:
                return dataDisks;
            default:
                throw new AssertionError(layout);
        }
    }

    private int memberOfDataIndex(int pd, int dd) {
        switch (layout) {
            case LEFT_ASYMMETRIC:
            case RIGHT_ASYMMETRIC:
                return dd >= pd ? dd + 1 : dd;
            case LEFT_SYMMETRIC:
            case RIGHT_SYMMETRIC: {
                int disk = pd + 1 + dd;
                return disk >= raidDisks ? disk - raidDisks : disk;
            }
            case PARITY_FIRST:
                return dd + 1;
            case PARITY_LAST:
                return dd;
            default:
                throw new AssertionError(layout);
        }
    }

    private void checkRow(long row) {
        if (row < 0 || row >= rowCount) {
            throw new IndexOutOfBoundsException("row " + row + " outside 0.." + (rowCount - 1));
        }
    }

    private void checkMember(int member) {
        if (member < 0 || member >= raidDisks) {
            throw new IndexOutOfBoundsException("member " + member + " outside 0.." + (raidDisks - 1));
        }
    }

    private void checkArraySector(long arraySector) {
        if (arraySector < 0 || arraySector >= arraySectors) {
            throw new IndexOutOfBoundsException("array sector " + arraySector
                    + " outside 0.." + (arraySectors - 1));
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Geometry)) {
            return false;
        }
        Geometry g = (Geometry) o;
        return raidDisks == g.raidDisks && chunkSectors == g.chunkSectors
                && layout == g.layout && memberSectors == g.memberSectors;
    }

    @Override
    public int hashCode() {
        return Objects.hash(raidDisks, chunkSectors, layout, memberSectors);
    }

    @Override
    public String toString() {
        return "Geometry[" + raidDisks + " disks, " + layout.mdName() + ", chunk " + chunkSectors
                + " sectors, " + memberSectors + " sectors per member, " + arraySectors + " array sectors]";
    }
}
