package io.raid5d.core.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Checks every Parity operation against a byte-at-a-time reference on random shapes. */
class ParityTest {

    private final SplittableRandom random = new SplittableRandom(20260521);

    /** A buffer with random bytes around a window of {@code len} bytes at a random position. */
    private ByteBuffer window(int len, boolean direct) {
        int before = random.nextInt(17);
        int after = random.nextInt(17);
        ByteBuffer whole = direct ? ByteBuffer.allocateDirect(before + len + after) : ByteBuffer.allocate(before + len + after);
        if (random.nextBoolean()) {
            whole.order(ByteOrder.LITTLE_ENDIAN);
        }
        for (int i = 0; i < whole.capacity(); i++) {
            whole.put(i, (byte) random.nextInt());
        }
        whole.position(before).limit(before + len);
        return whole;
    }

    private int randomLength() {
        switch (random.nextInt(4)) {
            case 0: return random.nextInt(64);
            case 1: return random.nextInt(4096);
            case 2: return Parity.BLOCK + random.nextInt(3 * Parity.BLOCK);
            default: return 65536 + random.nextInt(16);
        }
    }

    private static byte[] referenceXor(ByteBuffer[] data, int count) {
        int len = data[0].remaining();
        byte[] out = new byte[len];
        for (int k = 0; k < count; k++) {
            for (int i = 0; i < len; i++) {
                out[i] ^= data[k].get(data[k].position() + i);
            }
        }
        return out;
    }

    private static void assertContent(byte[] expected, ByteBuffer actual, String where) {
        assertEquals(expected.length, actual.remaining(), where);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual.get(actual.position() + i)) {
                assertEquals(expected[i], actual.get(actual.position() + i), where + " byte " + i);
            }
        }
    }

    /** Copies the bytes outside [position, limit), to prove they stay untouched. */
    private static byte[] outside(ByteBuffer b) {
        byte[] o = new byte[b.capacity() - b.remaining()];
        ByteBuffer all = b.duplicate().clear();
        int j = 0;
        for (int i = 0; i < b.capacity(); i++) {
            if (i < b.position() || i >= b.limit()) {
                o[j++] = all.get(i);
            }
        }
        return o;
    }

    /** Direct buffers take the address loops here, so the tests around exercise them (and the ByteBuffer loops on heap buffers). */
    @Test
    void theAddressKernelsAreAvailableOnThisJvm() {
        assertTrue(DirectXor.AVAILABLE);
    }

    @Test
    void computeMatchesReference() {
        for (int trial = 0; trial < 300; trial++) {
            int len = randomLength();
            int count = 1 + random.nextInt(12);
            boolean direct = random.nextInt(4) != 0;
            ByteBuffer[] data = new ByteBuffer[count + random.nextInt(3)];
            for (int k = 0; k < data.length; k++) {
                data[k] = window(len, direct);
            }
            ByteBuffer parity = window(len, direct);
            int pos = parity.position();
            int lim = parity.limit();
            byte[] around = outside(parity);
            byte[] expected = referenceXor(data, count);

            Parity.compute(parity, data, count);

            String where = "len " + len + " count " + count + " direct " + direct;
            assertContent(expected, parity, where);
            assertEquals(pos, parity.position(), where);
            assertEquals(lim, parity.limit(), where);
            assertEquals(java.util.Arrays.toString(around), java.util.Arrays.toString(outside(parity)), where);
            assertTrue(Parity.isConsistent(parity, data, count), where);
        }
    }

    @Test
    void xorIntoMatchesReference() {
        for (int trial = 0; trial < 300; trial++) {
            int len = randomLength();
            int count = 1 + random.nextInt(8);
            ByteBuffer dst = window(len, true);
            ByteBuffer[] src = new ByteBuffer[count];
            for (int k = 0; k < count; k++) {
                src[k] = window(len, random.nextBoolean());
            }
            ByteBuffer[] all = new ByteBuffer[count + 1];
            all[0] = dst;
            System.arraycopy(src, 0, all, 1, count);
            byte[] expected = referenceXor(all, count + 1);
            int srcPos = src[0].position();

            if (count == 1 && random.nextBoolean()) {
                Parity.xorInto(dst, src[0]);
            } else {
                Parity.xorInto(dst, src, count);
            }

            assertContent(expected, dst, "len " + len + " count " + count);
            assertEquals(srcPos, src[0].position());
        }
    }

    @Test
    void reconstructsAMissingChunkFromTheOthersAndParity() {
        int len = 3 * Parity.BLOCK + 5;
        ByteBuffer[] data = {window(len, true), window(len, true), window(len, true), window(len, true)};
        ByteBuffer parity = window(len, true);
        Parity.compute(parity, data, 4);
        ByteBuffer rebuilt = window(len, true);
        Parity.compute(rebuilt, new ByteBuffer[] {data[0], data[1], data[3], parity}, 4);
        assertTrue(Parity.equals(data[2], rebuilt));
    }

    @Test
    void isConsistentDetectsASingleFlippedBit() {
        for (int trial = 0; trial < 50; trial++) {
            int len = 1 + random.nextInt(20000);
            ByteBuffer[] data = {window(len, true), window(len, true), window(len, false)};
            ByteBuffer parity = window(len, true);
            Parity.compute(parity, data, 3);
            assertTrue(Parity.isConsistent(parity, data, 3));
            int at = data[1].position() + random.nextInt(len);
            data[1].put(at, (byte) (data[1].get(at) ^ (1 << random.nextInt(8))));
            assertFalse(Parity.isConsistent(parity, data, 3), "len " + len + " at " + at);
        }
    }

    @Test
    void isZero() {
        for (int trial = 0; trial < 100; trial++) {
            int len = random.nextInt(5000);
            ByteBuffer b = window(len, random.nextBoolean());
            for (int i = b.position(); i < b.limit(); i++) {
                b.put(i, (byte) 0);
            }
            assertTrue(Parity.isZero(b), "len " + len);
            if (len > 0) {
                int at = b.position() + random.nextInt(len);
                b.put(at, (byte) (1 << random.nextInt(8)));
                assertFalse(Parity.isZero(b), "len " + len + " at " + at);
            }
        }
    }

    @Test
    void equalsComparesRemainingBytesOnly() {
        ByteBuffer a = ByteBuffer.allocateDirect(10);
        ByteBuffer b = ByteBuffer.allocate(12);
        a.put(9, (byte) 1);
        b.position(2);
        assertTrue(Parity.equals(a.limit(9), b.limit(11)));
        b.put(5, (byte) 7);
        assertFalse(Parity.equals(a, b));
        assertFalse(Parity.equals(ByteBuffer.allocate(3), ByteBuffer.allocate(4)));
    }

    @Test
    void rejectsMismatchedLengthsAndCounts() {
        ByteBuffer p = ByteBuffer.allocateDirect(64);
        ByteBuffer[] data = {ByteBuffer.allocateDirect(64), ByteBuffer.allocateDirect(63)};
        assertThrows(IllegalArgumentException.class, () -> Parity.compute(p, data, 2));
        assertThrows(IllegalArgumentException.class, () -> Parity.compute(p, data, 3));
        assertThrows(IllegalArgumentException.class, () -> Parity.compute(p, data, 0));
        assertThrows(IllegalArgumentException.class, () -> Parity.xorInto(p, data[1]));
        Parity.compute(p, data, 1);
    }
}
