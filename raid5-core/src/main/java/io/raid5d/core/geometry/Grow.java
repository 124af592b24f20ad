package io.raid5d.core.geometry;

/**
 * An array growing from N to N+k members the way md grows one (same chunk and layout, data
 * moved to a lower data offset, processed forward): the two geometries, how far the data offset
 * moves, the unit the reshape advances by, and the rule that keeps it crash-safe. Pure arithmetic;
 * the facts behind it are in docs/reshape-md-facts.md.
 *
 * <p>Coordinates: array sectors; "per-device" sectors are counted from a member's data offset,
 * the old one for the old geometry, the new one ({@link #newDataOffset}) for the new.
 */
public final class Grow {
    private final Geometry before;
    private final Geometry after;
    private final long shift;

    private Grow(Geometry before, Geometry after, long shift) {
        this.before = before;
        this.after = after;
        this.shift = shift;
    }

    /**
     * The grow of {@code before} to {@code newRaidDisks} members.
     *
     * @throws IllegalArgumentException when that is not a grow
     */
    public static Grow of(Geometry before, int newRaidDisks) {
        if (newRaidDisks <= before.raidDisks()) {
            throw new IllegalArgumentException("a grow needs more than the " + before.raidDisks() + " members there are, not "
                    + newRaidDisks);
        }
        Geometry after = Geometry.of(newRaidDisks, before.chunkSectors(), before.layout(), before.memberSectors());
        long chunk = before.chunkSectors();
        long oldRow = chunk * before.dataDisks();
        long newRow = chunk * after.dataDisks();
        // mdadm's min_offset_change: the smallest shift that keeps new rows off old data not yet copied
        long shift = lcm(oldRow, newRow) / before.dataDisks();
        return new Grow(before, after, shift);
    }

    public Geometry before() {
        return before;
    }

    public Geometry after() {
        return after;
    }

    /** Sectors the data offset moves down: mdadm's min_offset_change (lcm of the old and new row data) / old data disks. */
    public long offsetShift() {
        return shift;
    }

    /** A member's data offset once grown (md's new_data_offset = data_offset + new_offset, new_offset = -shift). */
    public long newDataOffset(long dataOffset) {
        return dataOffset - shift;
    }

    /**
     * Array sectors one step of the reshape covers: one chunk-deep row of new stripes. A recorded
     * reshape position is always a multiple of it (md refuses to resume from one that is not).
     */
    public long unitSectors() {
        return (long) after.chunkSectors() * after.dataDisks();
    }

    /** Array sectors of data the array holds while it grows: the old capacity (md exposes it until the end). */
    public long arraySectorsDuring() {
        return before.arraySectors();
    }

    /**
     * Why a member whose metadata ends at {@code metadataEnd} (sectors from the device start:
     * superblock area, internal bitmap, bad block log) cannot take the shift below
     * {@code dataOffset}, or null when it can. md also wants 36 KiB after the superblock.
     */
    public String whyNoRoom(long dataOffset, long metadataEnd) {
        long floor = Math.max(metadataEnd, 8 + 72); // md: super_offset + 36 KiB at least
        long newOffset = newDataOffset(dataOffset);
        if (newOffset < floor) {
            return "data_offset " + dataOffset + " leaves " + Math.max(0, dataOffset - floor) + " sectors before the data, and"
                    + " growing to " + after.raidDisks() + " members moves it down by " + shift + " sectors";
        }
        return null;
    }

    /**
     * True when the step starting at array sector {@code progress} would overwrite old-geometry
     * data (or parity) that is not yet recorded as copied, i.e. holds array sectors at or above
     * {@code safe} (the reshape position on disk): the position must be recorded first. Writing
     * the step's new rows lands on per-device sectors that, seen from the old data offset, lie
     * {@link #offsetShift()} lower; the old rows there must lie wholly below {@code safe}.
     */
    public boolean mustRecordBefore(long progress, long safe) {
        long chunk = after.chunkSectors();
        long newRow = progress / unitSectors();
        long writeEndOld = (newRow + 1) * chunk - shift; // end of the step's writes, in old per-device sectors
        if (writeEndOld <= 0) {
            return false; // all in the head room the shift freed
        }
        long oldRowsEnd = (writeEndOld + chunk - 1) / chunk; // old rows [.., oldRowsEnd) are touched
        long oldDataEnd = oldRowsEnd * chunk * before.dataDisks();
        return oldDataEnd > safe;
    }

    private static long lcm(long a, long b) {
        return a / gcd(a, b) * b;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    @Override
    public String toString() {
        return "Grow{" + before.raidDisks() + "->" + after.raidDisks() + ", shift " + shift + ", unit " + unitSectors() + "}";
    }
}
