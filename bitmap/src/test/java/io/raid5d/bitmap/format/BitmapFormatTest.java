package io.raid5d.bitmap.format;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BitmapFormatTest {

    private static BitmapSuperblock sample() {
        BitmapSuperblock b = new BitmapSuperblock();
        byte[] uuid = new byte[16];
        for (int i = 0; i < 16; i++) {
            uuid[i] = (byte) (0x10 * i + 1);
        }
        b.setUuid(uuid);
        b.setEvents(3);
        b.setEventsCleared(1);
        b.setSyncSize(30720);
        b.setChunkSize(1 << 20);
        return b;
    }

    private static String decodeError(int offset, int value) {
        ByteBuffer b = sample().encode().order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(offset, value);
        return assertThrows(BitmapFormatException.class, () -> BitmapSuperblock.decode(b)).getMessage();
    }

    @Test
    void roundTrip() throws Exception {
        BitmapSuperblock b = sample();
        b.setWriteBehind(256);
        b.setState(BitmapSuperblock.STATE_STALE);
        b.setSectorsReserved(9);
        ByteBuffer bytes = b.encode();
        assertEquals(0, bytes.position());
        assertEquals(256, bytes.remaining());
        assertEquals(0x62, bytes.get(0)); // "bitm" little-endian
        assertEquals('m', bytes.get(3));
        BitmapSuperblock back = BitmapSuperblock.decode(bytes);
        assertEquals(b, back);
        assertTrue(back.isStale());
        assertFalse(back.hasWriteError());
        assertEquals(bytes, back.encode());
    }

    @Test
    void bitCountsRoundUp() {
        BitmapSuperblock b = sample();
        assertEquals(15, b.bitCount()); // 15 MiB per member, 1 MiB chunks (the md fixture)
        assertEquals(2, b.bitsBytes());
        assertEquals(4096, b.areaBytes(4096));
        assertEquals(512, b.areaBytes(512));
        b.setSyncSize(30721);
        assertEquals(16, b.bitCount());
        b.setChunkSize(4096);
        b.setSyncSize(3200L * 8); // 3200 chunks of 8 sectors
        assertEquals(3200, b.bitCount());
        assertEquals(400, b.bitsBytes());
        assertEquals(4096, b.areaBytes(4096));
        assertEquals(1024, b.areaBytes(512));
        assertEquals(2, b.chunkOf(16));
    }

    @Test
    void versionsThreeAndFourOnly() throws Exception {
        ByteBuffer b = sample().encode().order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 3);
        assertEquals(3, BitmapSuperblock.decode(b).getVersion());
        assertTrue(decodeError(4, 5).startsWith("unsupported md bitmap version 5"));
        assertTrue(decodeError(4, 2).startsWith("unsupported md bitmap version 2"));
    }

    @Test
    void impossibleValuesAreNamed() {
        assertEquals("no md bitmap: magic is 0x00000000, expected 0x6d746962 (\"bitm\")", decodeError(0, 0));
        assertTrue(decodeError(52, 3000).startsWith("impossible bitmap chunk size 3000"));
        assertTrue(decodeError(52, 256).startsWith("impossible bitmap chunk size 256"));
        assertTrue(decodeError(56, 0).startsWith("impossible bitmap daemon_sleep 0"));
        assertTrue(decodeError(60, 20000).startsWith("impossible bitmap write_behind 20000"));
        assertTrue(decodeError(68, 2).startsWith("clustered md bitmap (2 nodes)"));
        assertThrows(BitmapFormatException.class, () -> BitmapSuperblock.decode(ByteBuffer.allocate(100)));
    }

    @Test
    void dirtyBitsCountOnlyTheBitmapsBits() {
        ByteBuffer bits = ByteBuffer.allocate(20);
        bits.put(0, (byte) 0x00).put(1, (byte) 0x80); // the md fixture: 15 clean bits, padding bit 15 set
        assertEquals(0, BitmapBits.countDirty(bits, 15));
        assertEquals(1, BitmapBits.countDirty(bits, 16));
        for (int i = 2; i < 20; i++) {
            bits.put(i, (byte) 0xff);
        }
        assertEquals(1 + 18 * 8, BitmapBits.countDirty(bits, 160));
        assertEquals(1 + 8 + 3, BitmapBits.countDirty(bits, 27));
        BitmapBits.clear(bits, 16);
        assertFalse(BitmapBits.isSet(bits, 16));
        assertTrue(BitmapBits.isSet(bits, 17));
        assertEquals((byte) 0xfe, bits.get(2), "bit 16 is the low bit of byte 2");
        BitmapBits.set(bits, 3);
        assertEquals(0x08, bits.get(0));
        ByteBuffer offset = ByteBuffer.allocate(10).position(8);
        offset.put(8, (byte) 0x01);
        assertTrue(BitmapBits.isSet(offset, 0), "bit positions count from the buffer's position");
        assertEquals(1, BitmapBits.countDirty(offset, 16));
        assertThrows(IllegalArgumentException.class, () -> BitmapBits.countDirty(offset, 17));
    }

    @Test
    void humanSizesLikeMdadm() {
        assertEquals("", MdHumanSize.suffix(4L << 20));
        assertEquals(" (15.00 MiB 15.73 MB)", MdHumanSize.suffix(15L << 20));
        assertEquals(" (45.00 MiB 47.19 MB)", MdHumanSize.suffix(47185920));
        assertEquals(" (2.00 GiB 2.15 GB)", MdHumanSize.suffix(2L << 30));
        assertEquals(" (3.00 TiB 3.30 TB)", MdHumanSize.suffix(3L << 40));
    }

    @Test
    void reportLikeMdadmX() {
        BitmapSuperblock b = sample();
        b.setUuid(new byte[] {0x3b, 0x1a, 0x0f, 0x14, 0x1b, 0x10, 0x20, 0x5c, 0x25, 0x47, (byte) 0xd2, 0x5b,
            0x0f, 0x55, (byte) 0x9c, 0x02});
        ByteBuffer bits = ByteBuffer.allocate(2).put(0, (byte) 0x05);
        String expected = ""
                + "        Filename : /dev/vdb\n"
                + "           Magic : 6d746962\n"
                + "         Version : 4\n"
                + "            UUID : 3b1a0f14:1b10205c:2547d25b:0f559c02\n"
                + "          Events : 3\n"
                + "  Events Cleared : 1\n"
                + "           State : OK\n"
                + "       Chunksize : 1 MB\n"
                + "          Daemon : 5s flush period\n"
                + "      Write Mode : Normal\n"
                + "       Sync Size : 15360 (15.00 MiB 15.73 MB)\n"
                + "          Bitmap : 15 bits (chunks), 2 dirty (13.3%)\n";
        assertEquals(expected, BitmapReport.format("/dev/vdb", b, bits));
        b.setWriteBehind(10);
        b.setState(BitmapSuperblock.STATE_STALE);
        String r = BitmapReport.format("f", b, 15, 0);
        assertTrue(r.contains("      Write Mode : Allow write behind, max 10\n"), r);
        assertTrue(r.contains("           State : Out of date\n"), r);
        // C's printf rounds ties to even (mdadm -X prints 6.2% for 4 of 64), and exact values otherwise
        assertTrue(BitmapReport.format("f", b, 64, 4).contains("4 dirty (6.2%)\n"));
        assertTrue(BitmapReport.format("f", b, 64, 12).contains("12 dirty (18.8%)\n"));
        assertTrue(BitmapReport.format("f", b, 1024, 1).contains("1 dirty (0.1%)\n"));
        assertEquals("4 KB", BitmapReport.chunkSize(4096));
        assertEquals("64 MB", BitmapReport.chunkSize(64L << 20));
        assertEquals("1 GB", BitmapReport.chunkSize(1L << 30));
    }
}
