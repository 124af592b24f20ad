package io.raid5d.bitmap.format;

import java.nio.ByteBuffer;

/**
 * Bit access over the on-disk bitmap bits: bit {@code i} is bit {@code i % 8} (least significant
 * first) of byte {@code i / 8}, counted from the buffer's position. No method moves the position.
 */
public final class BitmapBits {
    private BitmapBits() {
    }

    /**
     * Counts the set bits among the first {@code bitCount} bits (bits past them, which md leaves
     * as padding, are ignored).
     *
     * @throws IllegalArgumentException if the buffer holds fewer than {@code bitCount} bits
     */
    public static long countDirty(ByteBuffer bits, long bitCount) {
        long needBytes = (bitCount + 7) / 8;
        if (bitCount < 0 || needBytes > bits.remaining()) {
            throw new IllegalArgumentException("bitmap has " + bits.remaining() + " bytes, need " + needBytes
                    + " for " + bitCount + " bits");
        }
        int base = bits.position();
        long whole = bitCount / 8;
        long dirty = 0;
        int i = 0;
        // Eight bytes at a time where possible; the byte order of the long does not matter for a count.
        for (; i + 8 <= whole; i += 8) {
            dirty += Long.bitCount(bits.getLong(base + i));
        }
        for (; i < whole; i++) {
            dirty += Integer.bitCount(bits.get(base + i) & 0xff);
        }
        int rest = (int) (bitCount % 8);
        if (rest != 0) {
            dirty += Integer.bitCount(bits.get(base + i) & ((1 << rest) - 1));
        }
        return dirty;
    }

    public static boolean isSet(ByteBuffer bits, long bit) {
        return (bits.get(bits.position() + index(bit)) & (1 << (bit & 7))) != 0;
    }

    public static void set(ByteBuffer bits, long bit) {
        int at = bits.position() + index(bit);
        bits.put(at, (byte) (bits.get(at) | (1 << (bit & 7))));
    }

    public static void clear(ByteBuffer bits, long bit) {
        int at = bits.position() + index(bit);
        bits.put(at, (byte) (bits.get(at) & ~(1 << (bit & 7))));
    }

    private static int index(long bit) {
        if (bit < 0 || bit / 8 > Integer.MAX_VALUE) {
            throw new IndexOutOfBoundsException("bit " + bit);
        }
        return (int) (bit >>> 3);
    }
}
