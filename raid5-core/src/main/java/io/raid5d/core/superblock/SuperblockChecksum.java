package io.raid5d.core.superblock;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The md v1.x superblock checksum: with sb_csum taken as zero, the first 256 + 2*max_dev bytes
 * are summed as little-endian u32 words into a 64-bit sum (a trailing half word as a u16), and the
 * sum is folded once: {@code (sum & 0xffffffff) + (sum >>> 32)}, kept as a u32.
 */
public final class SuperblockChecksum {
    /** Byte offset of sb_csum in the superblock. */
    public static final int CSUM_OFFSET = 216;

    private SuperblockChecksum() {
    }

    /**
     * Computes the checksum of the superblock starting at {@code sb}'s position, whose max_dev is
     * {@code maxDev}. The sb_csum field is ignored (counted as zero); nothing is modified.
     */
    public static int compute(ByteBuffer sb, int maxDev) {
        int length = 256 + 2 * maxDev;
        if (sb.remaining() < length) {
            throw new IllegalArgumentException("superblock with max_dev " + maxDev + " needs " + length
                    + " bytes, got " + sb.remaining());
        }
        ByteBuffer b = sb.slice().order(ByteOrder.LITTLE_ENDIAN);
        long sum = 0;
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            if (i != CSUM_OFFSET) {
                sum += Integer.toUnsignedLong(b.getInt(i));
            }
        }
        if (length - i == 2) {
            sum += Short.toUnsignedLong(b.getShort(i));
        }
        return (int) ((sum & 0xffffffffL) + (sum >>> 32));
    }
}
