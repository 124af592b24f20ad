package io.raid5d.core.superblock;

import io.raid5d.core.geometry.Layout;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuperblockCodecTest {

    static Superblock sample() {
        Superblock sb = new Superblock();
        sb.setFeatureMap(Superblock.FEATURE_BITMAP_OFFSET);
        sb.setSetUuid(MdUuid.parse("3b1a0f14:1b10205c:2547d25b:0f559c02"));
        sb.setSetName("host:array");
        sb.setCtime(MdTimestamp.fromInstant(Instant.parse("2026-01-02T03:04:05.123456Z")));
        sb.setLayout(Layout.RIGHT_ASYMMETRIC);
        sb.setSize(30720);
        sb.setChunkSectors(128);
        sb.setRaidDisks(4);
        sb.setBitmapOffset(8);
        sb.setDataOffset(2048);
        sb.setDataSize(30720);
        sb.setRecoveryOffset(77);
        sb.setDevNumber(2);
        sb.setCntCorrectedRead(5);
        sb.setDeviceUuid(MdUuid.parse("869fbb1d-cffe-8bd7-16e0-4ed8f571f389"));
        sb.setDevFlags(Superblock.DEVFLAG_WRITE_MOSTLY);
        sb.setBblogShift(1);
        sb.setBblogSize(8);
        sb.setBblogOffset(16);
        sb.setUtime(MdTimestamp.fromSeconds(1_800_000_000L));
        sb.setEvents(123456789012L);
        sb.setResyncOffset(4096);
        sb.setMaxDev(128);
        for (int i = 0; i < 4; i++) {
            sb.setRole(i, i);
        }
        sb.setRole(5, Superblock.ROLE_FAULTY);
        return sb;
    }

    private static ByteBuffer encoded(Consumer<ByteBuffer> tamper) {
        ByteBuffer b = sample().encode().order(ByteOrder.LITTLE_ENDIAN);
        tamper.accept(b);
        // keep the checksum right so the check under test is the one that fires
        int maxDev = b.getInt(220);
        if (maxDev >= 0 && 256 + 2 * maxDev <= b.remaining()) {
            b.putInt(SuperblockChecksum.CSUM_OFFSET, SuperblockChecksum.compute(b, maxDev));
        }
        return b;
    }

    private static String decodeError(Consumer<ByteBuffer> tamper) {
        ByteBuffer b = encoded(tamper);
        return assertThrows(SuperblockException.class, () -> Superblock.decode(b)).getMessage();
    }

    @Test
    void theReshapeFieldsSitWhereMdPutsThemAndSurviveARoundTrip() throws Exception {
        Superblock sb = sample();
        sb.setNewLevel(5);
        sb.setReshapePosition(0x0102030405L);
        sb.setDeltaDisks(1);
        sb.setNewLayoutCode(2);
        sb.setNewChunkSectors(256);
        sb.setNewOffset(-4096);
        ByteBuffer bytes = sb.encode().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(5, bytes.getInt(100));
        assertEquals(0x0102030405L, bytes.getLong(104));
        assertEquals(1, bytes.getInt(112));
        assertEquals(2, bytes.getInt(116));
        assertEquals(256, bytes.getInt(120));
        assertEquals(-4096, bytes.getInt(124));
        Superblock back = Superblock.decode(bytes);
        assertEquals(sb, back);
        assertFalse(back.reshapeActive(), "stale reshape fields without the feature bit mean nothing");
        assertEquals(back.getDataOffset(), back.newDataOffset());
    }

    @Test
    void roundTripKeepsEveryField() throws Exception {
        Superblock sb = sample();
        ByteBuffer bytes = sb.encode();
        assertEquals(512, bytes.remaining());
        Superblock back = Superblock.decode(bytes);
        assertEquals(sb, back);
        assertEquals(sb.getChecksum(), back.getChecksum());
        assertEquals(2, back.role());
        assertEquals(Superblock.ROLE_FAULTY, back.roleOf(5));
        assertEquals(Superblock.ROLE_SPARE, back.roleOf(4));
        assertEquals(Superblock.ROLE_SPARE, back.roleOf(5000));
        assertEquals("host:array", back.getSetName());
        assertEquals(Instant.parse("2026-01-02T03:04:05.123456Z"), back.ctimeInstant());
        assertEquals(123456, MdTimestamp.micros(back.getCtime()));
        assertEquals(Layout.RIGHT_ASYMMETRIC, back.getLayout());
        assertEquals(77, back.getRecoveryOffset());
        assertFalse(back.isClean());
        assertEquals(30720L * 3, back.arraySectors());
        assertEquals(bytes, back.encode(), "encoding the decoded value gives the same bytes");
    }

    @Test
    void copyIsDeep() {
        Superblock sb = sample();
        Superblock c = sb.copy();
        assertEquals(sb, c);
        assertNotSame(sb.getDevRoles(), c.getDevRoles());
        c.setRole(0, Superblock.ROLE_FAULTY);
        c.setEvents(1);
        assertEquals(2, sb.role());
        assertEquals(0, sb.roleOf(0));
    }

    @Test
    void nameFillsThirtyTwoBytesWithoutTerminator() throws Exception {
        Superblock sb = sample();
        String name = "abcdefghijklmnopqrstuvwxyz012345";
        sb.setSetName(name);
        ByteBuffer b = sb.encode();
        assertEquals('5', b.get(63));
        assertEquals(name, Superblock.decode(b).getSetName());
        assertThrows(IllegalArgumentException.class, () -> sb.setSetName(name + "6"));
    }

    @Test
    void checksumAddsATrailingHalfWordAndFoldsTheCarry() {
        Random random = new Random(42);
        for (int maxDev : new int[] {0, 1, 3, 127, 128, 1920}) {
            byte[] raw = new byte[256 + 2 * maxDev];
            random.nextBytes(raw);
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            // the same rule with BigInteger arithmetic and byte-by-byte assembly
            BigInteger sum = BigInteger.ZERO;
            int i = 0;
            for (; i + 4 <= raw.length; i += 4) {
                if (i == 216) {
                    continue;
                }
                long word = (raw[i] & 0xffL) | (raw[i + 1] & 0xffL) << 8 | (raw[i + 2] & 0xffL) << 16
                        | (raw[i + 3] & 0xffL) << 24;
                sum = sum.add(BigInteger.valueOf(word));
            }
            if (raw.length - i == 2) {
                sum = sum.add(BigInteger.valueOf((raw[i] & 0xffL) | (raw[i + 1] & 0xffL) << 8));
            }
            BigInteger mask = BigInteger.valueOf(0xffffffffL);
            long folded = sum.and(mask).add(sum.shiftRight(32)).and(mask).longValue();
            assertEquals((int) folded, SuperblockChecksum.compute(b, maxDev), "max_dev " + maxDev);
            b.putInt(216, 0x12345678);
            assertEquals((int) folded, SuperblockChecksum.compute(b, maxDev), "sb_csum is ignored");
        }
    }

    @Test
    void oddMaxDevRoundTrips() throws Exception {
        Superblock sb = sample();
        sb.setMaxDev(7);
        ByteBuffer b = sb.encode();
        assertEquals(512, b.remaining());
        assertEquals((byte) 0xff, b.get(256 + 14), "tail after dev_roles is 0xff");
        assertEquals(sb, Superblock.decode(b));
    }

    @Test
    void badMagicSaysThereIsNoSuperblock() {
        ByteBuffer zeros = ByteBuffer.allocate(4096);
        assertEquals("no md superblock: magic is 0x00000000, expected 0xa92b4efc",
                assertThrows(SuperblockException.class, () -> Superblock.decode(zeros)).getMessage());
    }

    @Test
    void tooShortBuffer() {
        assertTrue(assertThrows(SuperblockException.class, () -> Superblock.decode(ByteBuffer.allocate(100)))
                .getMessage().contains("too short"));
    }

    @Test
    void impossibleAndUnsupportedValuesAreNamed() {
        assertEquals("unsupported md superblock major version 2 (only version 1 is supported)",
                decodeError(b -> b.putInt(4, 2)));
        assertTrue(decodeError(b -> b.putInt(220, 5000)).startsWith("impossible max_dev 5000"));
        assertEquals("unsupported RAID level 6 (raid5d runs raid5 only)", decodeError(b -> b.putInt(72, 6)));
        assertEquals("unsupported RAID level -1 (raid5d runs raid5 only)", decodeError(b -> b.putInt(72, -1)));
        assertTrue(decodeError(b -> b.putInt(76, 9)).startsWith("unsupported RAID-5 layout 9"));
        assertTrue(decodeError(b -> b.putLong(128, 12)).startsWith("data_offset 12 sectors lies inside the superblock area"));
        assertTrue(decodeError(b -> b.putLong(144, 0)).startsWith("super_offset is 0 sectors"));
        assertTrue(decodeError(b -> b.putInt(88, 96)).startsWith("impossible chunk size 96 sectors"));
        assertTrue(decodeError(b -> b.putInt(88, 4)).startsWith("impossible chunk size 4 sectors"));
        assertTrue(decodeError(b -> b.putInt(92, 1)).startsWith("impossible raid_disks 1"));
        assertTrue(decodeError(b -> b.putLong(136, 100)).startsWith("component size 30720 sectors exceeds data_size 100"));
        assertTrue(decodeError(b -> b.putLong(80, 0)).startsWith("impossible component size 0"));
        assertTrue(decodeError(b -> b.putInt(160, 128)).startsWith("dev_number 128 has no dev_roles slot"));
        assertTrue(decodeError(b -> b.putInt(96, 4000)).startsWith("bitmap_offset 4000 sectors does not point"));
        assertTrue(decodeError(b -> b.putInt(96, 0)).startsWith("bitmap_offset 0 sectors does not point"));
        assertTrue(decodeError(b -> b.putInt(8, 1 | 4).putInt(92, 5).putInt(112, 1).putLong(104, 4096))
                .contains("in the middle of a reshape (4->5 members, at array sector 4096)"));
        assertTrue(decodeError(b -> b.putInt(8, 1 | 64)).contains("an unfinished reshape"), "NEW_OFFSET without RESHAPE_ACTIVE");
        assertTrue(decodeError(b -> b.putInt(8, 512)).contains("a write journal"));
        assertTrue(decodeError(b -> b.putInt(8, 1024)).contains("a partial parity log"));
        assertEquals("unknown feature bits 0x10000 in feature_map 0x10001", decodeError(b -> b.putInt(8, 0x10001)));
    }

    @Test
    void badChecksumMessageGivesBothValues() {
        ByteBuffer b = sample().encode().order(ByteOrder.LITTLE_ENDIAN);
        int right = b.getInt(216);
        b.putInt(216, right + 1);
        assertEquals(String.format("bad superblock checksum: expected %08x found %08x", right, right + 1),
                assertThrows(SuperblockException.class, () -> Superblock.decode(b)).getMessage());
    }

    @Test
    void ioReadsAtByte4096AndNamesThePath() throws Exception {
        TestByteMember dev = new TestByteMember("/dev/test0", 16 << 20);
        Superblock sb = sample();
        sb.setDataSize(dev.sizeBytes() / 512 - 2048);
        SuperblockIo.write(dev, sb);
        assertEquals((byte) 0xfc, dev.bytes()[4096]);
        assertEquals(sb, SuperblockIo.read(dev));

        dev.bytes()[4096 + 100] ^= 1;
        SuperblockException e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(dev));
        assertTrue(e.getMessage().startsWith("/dev/test0: bad superblock checksum"), e.getMessage());

        TestByteMember blank = new TestByteMember("/dev/blank", 1 << 20);
        e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(blank));
        assertEquals("/dev/blank: no md superblock: magic is 0x00000000, expected 0xa92b4efc", e.getMessage());

        TestByteMember tiny = new TestByteMember("/dev/tiny", 6000);
        e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(tiny));
        assertEquals("/dev/tiny: too small for an md v1.2 superblock (6000 bytes, need at least 12288)", e.getMessage());
    }

    @Test
    void memberSmallerThanItsDataAreaIsRefused() throws Exception {
        TestByteMember dev = new TestByteMember("/dev/small", 8 << 20);
        Superblock sb = sample(); // needs 2048 + 30720 sectors = 16 MiB
        SuperblockIo.write(dev, sb);
        SuperblockException e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(dev));
        assertTrue(e.getMessage().startsWith("/dev/small: member has 16384 sectors but its superblock uses"),
                e.getMessage());
        assertEquals(sb, SuperblockIo.readForExamine(dev));
    }

    @Test
    void uuidTextForms() {
        byte[] u = MdUuid.parse("3b1a0f14:1b10205c:2547d25b:0f559c02");
        assertArrayEquals(u, MdUuid.parse("3b1a0f14-1b10-205c-2547-d25b0f559c02"));
        assertArrayEquals(u, MdUuid.parse("3B1A0F141B10205C2547D25B0F559C02"));
        assertEquals("3b1a0f14:1b10205c:2547d25b:0f559c02", MdUuid.format(u));
        assertThrows(IllegalArgumentException.class, () -> MdUuid.parse("3b1a0f14:1b10205c"));
        assertThrows(IllegalArgumentException.class, () -> MdUuid.parse("zz1a0f14:1b10205c:2547d25b:0f559c02"));
    }

    @Test
    void ctimeFormatsLikeC() {
        assertEquals("Sat Nov 21 10:11:14 2026", MdTimestamp.format(0x6b016e42L, ZoneOffset.UTC));
        assertEquals("Thu Jan  1 00:00:00 1970", MdTimestamp.format(0, ZoneOffset.UTC));
        assertEquals("Thu Jan  1 00:00:00 1970", MdTimestamp.format(123L << 40, ZoneOffset.UTC),
                "the microseconds part is not seconds");
    }
}
