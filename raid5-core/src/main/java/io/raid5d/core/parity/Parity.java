package io.raid5d.core.parity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * RAID-5 parity: XOR of equally long byte ranges.
 *
 * <p>Every method works on each buffer's remaining bytes, {@code [position, limit)}, and
 * never moves positions or limits; all buffers of one call must have the same number of
 * remaining bytes. Direct and heap buffers both work; direct buffers are the fast case.
 * Nothing is allocated per call, so these can run on the stripe-handling hot path.
 *
 * <p>Words are read with whatever byte order the caller's buffers have (changing it would
 * need a duplicate, i.e. an allocation). XOR does not care about byte order as long as all
 * buffers of a call share one; calls mixing orders take a slower path that swaps words.
 *
 * <p>Speed: one pass per group of up to four sources, in blocks small enough to keep the
 * destination block in L1 cache across the passes (see the benchmarks module). Direct buffers
 * go through {@link DirectXor}'s address loops, which the JIT vectorizes; heap buffers through
 * ByteBuffer word loops.
 */
public final class Parity {

    /** Bytes processed through all passes before moving on; keeps the destination block in L1. */
    static final int BLOCK = 8 * 1024;

    private Parity() {
    }

    /** {@code parity = data[0] ^ data[1] ^ ... ^ data[count - 1]}. */
    public static void compute(ByteBuffer parity, ByteBuffer[] data, int count) {
        int len = parity.remaining();
        checkSources(data, count, len);
        boolean direct = allDirect(parity, data, count); // bytes are bytes to the address loops
        if (!direct && !sameOrder(parity, data, count)) {
            mixedOrder(parity, data, count, false);
            return;
        }
        int pp = parity.position();
        for (int off = 0; off < len; off += BLOCK) {
            int n = Math.min(BLOCK, len - off);
            int first = Math.min(count, 4);
            if (direct) {
                DirectXor.set(parity, pp + off, data, 0, first, off, n);
            } else {
                set(parity, pp + off, data, 0, first, off, n);
            }
            for (int i = first; i < count; i += 3) {
                if (direct) {
                    DirectXor.accumulate(parity, pp + off, data, i, Math.min(3, count - i), off, n);
                } else {
                    accumulate(parity, pp + off, data, i, Math.min(3, count - i), off, n);
                }
            }
        }
    }

    /** {@code dst ^= src}. */
    public static void xorInto(ByteBuffer dst, ByteBuffer src) {
        int len = dst.remaining();
        checkSource(src, 0, len);
        if (DirectXor.AVAILABLE && dst.isDirect() && src.isDirect()) {
            DirectXor.xorInto(dst, dst.position(), src, src.position(), len);
            return;
        }
        if (src.order() != dst.order()) {
            mixedOrder(dst, new ByteBuffer[] {src}, 1, true);
            return;
        }
        acc1(dst, dst.position(), src, src.position(), len);
    }

    /**
     * {@code dst ^= src[0] ^ ... ^ src[count - 1]}; e.g. a read-modify-write updates parity
     * with {@code xorInto(parity, {oldData, newData}, 2)}.
     */
    public static void xorInto(ByteBuffer dst, ByteBuffer[] src, int count) {
        int len = dst.remaining();
        checkSources(src, count, len);
        boolean direct = allDirect(dst, src, count);
        if (!direct && !sameOrder(dst, src, count)) {
            mixedOrder(dst, src, count, true);
            return;
        }
        int dp = dst.position();
        for (int off = 0; off < len; off += BLOCK) {
            int n = Math.min(BLOCK, len - off);
            for (int i = 0; i < count; i += 3) {
                if (direct) {
                    DirectXor.accumulate(dst, dp + off, src, i, Math.min(3, count - i), off, n);
                } else {
                    accumulate(dst, dp + off, src, i, Math.min(3, count - i), off, n);
                }
            }
        }
    }

    /** True when every remaining byte of {@code buf} is zero. */
    public static boolean isZero(ByteBuffer buf) {
        int p = buf.position();
        int end = buf.limit();
        int i = p;
        for (; i <= end - 8; i += 8) {
            if (buf.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code parity} equals the XOR of {@code data[0..count)} (a parity check). */
    public static boolean isConsistent(ByteBuffer parity, ByteBuffer[] data, int count) {
        int len = parity.remaining();
        checkSources(data, count, len);
        int pp = parity.position();
        ByteOrder order = parity.order();
        int i = 0;
        for (; i <= len - 8; i += 8) {
            long x = parity.getLong(pp + i);
            for (int k = 0; k < count; k++) {
                ByteBuffer d = data[k];
                x ^= word(d, d.position() + i, order);
            }
            if (x != 0) {
                return false;
            }
        }
        for (; i < len; i++) {
            int x = parity.get(pp + i);
            for (int k = 0; k < count; k++) {
                ByteBuffer d = data[k];
                x ^= d.get(d.position() + i);
            }
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** True when the remaining bytes of {@code a} and {@code b} are equal. */
    public static boolean equals(ByteBuffer a, ByteBuffer b) {
        // ByteBuffer.mismatch is vectorized by the JDK and ignores positions it does not move.
        return a.remaining() == b.remaining() && a.mismatch(b) < 0;
    }

    /** Every buffer direct (and Unsafe usable): the vectorized kernels apply. Byte order does not matter to them. */
    private static boolean allDirect(ByteBuffer dst, ByteBuffer[] src, int count) {
        if (!DirectXor.AVAILABLE || !dst.isDirect()) {
            return false;
        }
        for (int k = 0; k < count; k++) {
            if (!src[k].isDirect()) {
                return false;
            }
        }
        return true;
    }

    // ---- mixed byte orders: rare (all our buffers are big-endian), so simple and slower ----

    private static boolean sameOrder(ByteBuffer dst, ByteBuffer[] src, int count) {
        ByteOrder order = dst.order();
        for (int k = 0; k < count; k++) {
            if (src[k].order() != order) {
                return false;
            }
        }
        return true;
    }

    /** Reads a long at {@code i} as if {@code b} had byte order {@code order}. */
    private static long word(ByteBuffer b, int i, ByteOrder order) {
        long v = b.getLong(i);
        return b.order() == order ? v : Long.reverseBytes(v);
    }

    private static void mixedOrder(ByteBuffer dst, ByteBuffer[] src, int count, boolean accumulate) {
        ByteOrder order = dst.order();
        int dp = dst.position();
        int len = dst.remaining();
        int i = 0;
        for (; i <= len - 8; i += 8) {
            long x = accumulate ? dst.getLong(dp + i) : 0;
            for (int k = 0; k < count; k++) {
                x ^= word(src[k], src[k].position() + i, order);
            }
            dst.putLong(dp + i, x);
        }
        for (; i < len; i++) {
            int x = accumulate ? dst.get(dp + i) : 0;
            for (int k = 0; k < count; k++) {
                x ^= src[k].get(src[k].position() + i);
            }
            dst.put(dp + i, (byte) x);
        }
    }

    // ---- kernels: dst at absolute index dp, sources at their position + off, n bytes ----

    private static void set(ByteBuffer dst, int dp, ByteBuffer[] s, int from, int k, int off, int n) {
        switch (k) {
            case 1:
                copy(dst, dp, s[from], s[from].position() + off, n);
                break;
            case 2:
                set2(dst, dp, s[from], s[from].position() + off, s[from + 1], s[from + 1].position() + off, n);
                break;
            case 3:
                set3(dst, dp, s[from], s[from].position() + off, s[from + 1], s[from + 1].position() + off,
                        s[from + 2], s[from + 2].position() + off, n);
                break;
            default:
                set4(dst, dp, s[from], s[from].position() + off, s[from + 1], s[from + 1].position() + off,
                        s[from + 2], s[from + 2].position() + off, s[from + 3], s[from + 3].position() + off, n);
                break;
        }
    }

    private static void accumulate(ByteBuffer dst, int dp, ByteBuffer[] s, int from, int k, int off, int n) {
        switch (k) {
            case 1:
                acc1(dst, dp, s[from], s[from].position() + off, n);
                break;
            case 2:
                acc2(dst, dp, s[from], s[from].position() + off, s[from + 1], s[from + 1].position() + off, n);
                break;
            default:
                acc3(dst, dp, s[from], s[from].position() + off, s[from + 1], s[from + 1].position() + off,
                        s[from + 2], s[from + 2].position() + off, n);
                break;
        }
    }

    private static void copy(ByteBuffer dst, int dp, ByteBuffer a, int ap, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, a.getLong(ap + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, a.get(ap + i));
        }
    }

    private static void set2(ByteBuffer dst, int dp, ByteBuffer a, int ap, ByteBuffer b, int bp, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, a.getLong(ap + i) ^ b.getLong(bp + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (a.get(ap + i) ^ b.get(bp + i)));
        }
    }

    private static void set3(ByteBuffer dst, int dp, ByteBuffer a, int ap, ByteBuffer b, int bp,
                             ByteBuffer c, int cp, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, a.getLong(ap + i) ^ b.getLong(bp + i) ^ c.getLong(cp + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (a.get(ap + i) ^ b.get(bp + i) ^ c.get(cp + i)));
        }
    }

    private static void set4(ByteBuffer dst, int dp, ByteBuffer a, int ap, ByteBuffer b, int bp,
                             ByteBuffer c, int cp, ByteBuffer d, int ddp, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, a.getLong(ap + i) ^ b.getLong(bp + i) ^ c.getLong(cp + i) ^ d.getLong(ddp + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (a.get(ap + i) ^ b.get(bp + i) ^ c.get(cp + i) ^ d.get(ddp + i)));
        }
    }

    private static void acc1(ByteBuffer dst, int dp, ByteBuffer a, int ap, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, dst.getLong(dp + i) ^ a.getLong(ap + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (dst.get(dp + i) ^ a.get(ap + i)));
        }
    }

    private static void acc2(ByteBuffer dst, int dp, ByteBuffer a, int ap, ByteBuffer b, int bp, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, dst.getLong(dp + i) ^ a.getLong(ap + i) ^ b.getLong(bp + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (dst.get(dp + i) ^ a.get(ap + i) ^ b.get(bp + i)));
        }
    }

    private static void acc3(ByteBuffer dst, int dp, ByteBuffer a, int ap, ByteBuffer b, int bp,
                             ByteBuffer c, int cp, int n) {
        int i = 0;
        for (; i <= n - 8; i += 8) {
            dst.putLong(dp + i, dst.getLong(dp + i) ^ a.getLong(ap + i) ^ b.getLong(bp + i) ^ c.getLong(cp + i));
        }
        for (; i < n; i++) {
            dst.put(dp + i, (byte) (dst.get(dp + i) ^ a.get(ap + i) ^ b.get(bp + i) ^ c.get(cp + i)));
        }
    }

    // ---- argument checks (allocate only when they fail) ----

    private static void checkSources(ByteBuffer[] src, int count, int len) {
        if (count < 1 || count > src.length) {
            throw new IllegalArgumentException("source count " + count + " outside 1.." + src.length);
        }
        for (int i = 0; i < count; i++) {
            checkSource(src[i], i, len);
        }
    }

    private static void checkSource(ByteBuffer src, int index, int len) {
        if (src.remaining() != len) {
            throw new IllegalArgumentException("source " + index + " has " + src.remaining()
                    + " bytes remaining, destination has " + len);
        }
    }
}
