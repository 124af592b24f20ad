package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Layout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decodes the superblocks and bitmaps Linux md itself wrote, and compares with what mdadm printed. */
class SuperblockFixtureTest {
    @TempDir
    static Path tmp;
    private static final Map<String, Path> UNPACKED = new HashMap<>();

    @BeforeAll
    static void unpack() throws Exception {
        for (String name : Fixtures.NAMES) {
            UNPACKED.put(name, Fixtures.unpack(name, tmp));
        }
    }

    static List<Arguments> members() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (String name : Fixtures.NAMES) {
            int n = Integer.parseInt(Fixtures.properties(name).getProperty("members"));
            for (int i = 0; i < n; i++) {
                out.add(Arguments.of(name, i));
            }
        }
        return out;
    }

    private static TestFileMember open(String fixture, int member) throws Exception {
        return TestFileMember.openReadOnly(Fixtures.member(UNPACKED.get(fixture), member));
    }

    @ParameterizedTest(name = "{0} member{1}")
    @MethodSource("members")
    void superblockMatchesFixtureProperties(String fixture, int member) throws Exception {
        Properties p = Fixtures.properties(fixture);
        try (TestFileMember dev = open(fixture, member)) {
            Superblock sb = SuperblockIo.read(dev);
            assertEquals(p.getProperty("array_uuid"), MdUuid.format(sb.getSetUuid()).replace(":", ""));
            assertEquals(p.getProperty("array_name"), sb.getSetName());
            assertEquals(5, sb.getLevel());
            assertEquals(Integer.parseInt(p.getProperty("layout_code")), sb.getLayout().mdCode());
            assertEquals(Layout.fromName(p.getProperty("layout")), sb.getLayout());
            assertEquals(Integer.parseInt(p.getProperty("chunk_bytes")), sb.chunkBytes());
            assertEquals(Integer.parseInt(p.getProperty("members")), sb.getRaidDisks());
            assertEquals(Long.parseLong(p.getProperty("data_offset_sectors")), sb.getDataOffset());
            assertEquals(Long.parseLong(p.getProperty("super_offset_sectors")), sb.getSuperOffset());
            assertEquals(Long.parseLong(p.getProperty("component_size_sectors")), sb.getSize());
            assertEquals(Long.parseLong(p.getProperty("array_size_bytes")), sb.arraySectors() * 512);
            assertEquals(Long.parseLong(p.getProperty("member" + member + ".events")), sb.getEvents());
            assertEquals(Integer.parseInt(p.getProperty("member" + member + ".role")), sb.role());
            assertEquals(member, sb.getDevNumber());
            assertEquals("clean".equals(p.getProperty("member" + member + ".state")), sb.isClean());
            assertEquals(p.getProperty("member" + member + ".array_state"), ExamineReport.arrayState(sb));
            assertEquals(Superblock.ROLE_SPARE, sb.roleOf(sb.getRaidDisks()));
            assertEquals(128, sb.getMaxDev());
            boolean internal = "internal".equals(p.getProperty("bitmap"));
            assertEquals(internal, sb.hasBitmap());
            if (internal) {
                assertEquals(Integer.parseInt(p.getProperty("bitmap_offset_sectors")), sb.getBitmapOffset());
            }
        }
    }

    @ParameterizedTest(name = "{0} member{1}")
    @MethodSource("members")
    void internalBitmapMatchesFixture(String fixture, int member) throws Exception {
        Properties p = Fixtures.properties(fixture);
        try (TestFileMember dev = open(fixture, member)) {
            Superblock sb = SuperblockIo.read(dev);
            if (!"internal".equals(p.getProperty("bitmap"))) {
                SuperblockException e = assertThrows(SuperblockException.class,
                        () -> SuperblockIo.readInternalBitmap(dev, sb));
                assertTrue(e.getMessage().startsWith(dev.path() + ": has no internal bitmap"), e.getMessage());
                return;
            }
            BitmapSuperblock bsb = SuperblockIo.readInternalBitmap(dev, sb);
            assertEquals(4, bsb.getVersion());
            assertArrayEquals(sb.getSetUuid(), bsb.getUuid());
            assertEquals(Integer.parseInt(p.getProperty("bitmap_chunk_bytes")), bsb.getChunkSize());
            assertEquals(Long.parseLong(p.getProperty("bitmap_bits")), bsb.bitCount());
            assertEquals(sb.getSize(), bsb.getSyncSize());
            assertEquals(sb.getEvents(), bsb.getEvents());
            assertEquals(BitmapSuperblock.DEFAULT_DAEMON_SLEEP, bsb.getDaemonSleep());
            ByteBuffer bits = SuperblockIo.readInternalBitmapBits(dev, sb, bsb);
            assertEquals(0, BitmapBits.countDirty(bits, bsb.bitCount()));

            ByteBuffer header = ByteBuffer.allocate(BitmapSuperblock.SIZE);
            dev.read(SuperblockIo.internalBitmapByteOffset(sb), header);
            assertEquals(header.flip(), bsb.encode(), "bitmap header encodes back to the same bytes");

            String expected = Fixtures.mdadmText(fixture, "bitmap-member" + member + ".txt");
            assertEquals(expected, BitmapReport.format(Fixtures.guestDevice(member), bsb, bits));
        }
    }

    @ParameterizedTest(name = "{0} member{1}")
    @MethodSource("members")
    void encodeReproducesTheOnDiskBytes(String fixture, int member) throws Exception {
        try (TestFileMember dev = open(fixture, member)) {
            Superblock sb = SuperblockIo.read(dev);
            int checksum = sb.getChecksum();
            ByteBuffer encoded = sb.encode();
            ByteBuffer onDisk = ByteBuffer.allocate(encoded.remaining());
            dev.read(4096, onDisk);
            onDisk.flip();
            assertEquals(onDisk, encoded);
            assertEquals(checksum, sb.getChecksum());
            assertEquals(sb, Superblock.decode(encoded));
        }
    }

    @ParameterizedTest(name = "{0} member{1}")
    @MethodSource("members")
    void examineMatchesMdadm(String fixture, int member) throws Exception {
        Properties p = Fixtures.properties(fixture);
        try (TestFileMember dev = open(fixture, member)) {
            Superblock sb = SuperblockIo.readForExamine(dev);
            BitmapSuperblock bsb = sb.hasBitmap() ? SuperblockIo.readInternalBitmap(dev, sb) : null;
            String report = ExamineReport.format(Fixtures.guestDevice(member), sb,
                    Long.parseLong(p.getProperty("member_size_bytes")) / 512, bsb, "kguest", ZoneOffset.UTC);
            // The kernel guest ran in UTC, so even the times match to the character.
            assertEquals(Fixtures.mdadmText(fixture, "examine-member" + member + ".txt"), report);
        }
    }

    @Test
    void everyFlippedByteFailsTheChecksum() throws Exception {
        try (TestFileMember dev = open("ls4-c64-bm1m", 1)) {
            ByteBuffer raw = ByteBuffer.allocate(4096);
            dev.read(4096, raw);
            int length = 256 + 2 * 128;
            // Byte 220 is max_dev (changing it changes what is summed); every other byte is covered.
            for (int at : new int[] {8, 17, 40, 64, 80, 128, 160, 170, 200, 216, 219, 300, length - 1}) {
                ByteBuffer copy = ByteBuffer.wrap(raw.array().clone());
                copy.put(at, (byte) (copy.get(at) ^ 0x10));
                SuperblockException e = assertThrows(SuperblockException.class, () -> Superblock.decode(copy),
                        "flip at byte " + at);
                assertTrue(e.getMessage().startsWith("bad superblock checksum: expected "), e.getMessage());
                assertTrue(e.getMessage().contains(" found "), e.getMessage());
                if (at != 80) { // a flipped size bit makes the lenient decode refuse the value itself
                    Superblock lenient = Superblock.decodeLenient(copy);
                    assertNotEquals(lenient.getChecksum(), lenient.getExpectedChecksum());
                }
            }
        }
    }

    @Test
    void flippedByteOnAMemberNamesThePathAndExamineShowsIt() throws Exception {
        Path copy = tmp.resolve("flipped.img");
        Files.copy(Fixtures.member(UNPACKED.get("ls4-c64-bm1m"), 2), copy);
        try (TestFileMember dev = TestFileMember.open(copy)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            dev.read(4096 + 200, one);
            dev.write(4096 + 200, ByteBuffer.wrap(new byte[] {(byte) (one.get(0) + 1)}));
            SuperblockException e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(dev));
            assertTrue(e.getMessage().startsWith(copy + ": bad superblock checksum: expected "), e.getMessage());
            Superblock sb = SuperblockIo.readForExamine(dev);
            assertEquals(4, sb.getEvents());
            String report = ExamineReport.format(copy.toString(), sb, dev.sizeBytes() / 512, null, null, ZoneOffset.UTC);
            assertTrue(report.contains("       Checksum : " + Integer.toHexString(sb.getChecksum()) + " - expected "
                    + Integer.toHexString(sb.getExpectedChecksum()) + "\n"), report);
            // and real mdadm agrees on both numbers
            String mdadm = Commands.run("mdadm", "--examine", copy.toString()).output;
            assertTrue(mdadm.contains("Checksum : " + Integer.toHexString(sb.getChecksum()) + " - expected "
                    + Integer.toHexString(sb.getExpectedChecksum())), mdadm);
        }
    }

    @Test
    void truncatedMemberIsRefusedButCanBeExamined() throws Exception {
        Path copy = tmp.resolve("truncated.img");
        Files.copy(Fixtures.member(UNPACKED.get("la5-c16-nobm"), 0), copy);
        try (TestFileMember dev = TestFileMember.open(copy)) {
            dev.sync();
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(copy,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(6L << 20);
        }
        try (TestFileMember dev = TestFileMember.openReadOnly(copy)) {
            SuperblockException e = assertThrows(SuperblockException.class, () -> SuperblockIo.read(dev));
            assertTrue(e.getMessage().startsWith(copy + ": member has 12288 sectors"), e.getMessage());
            Superblock sb = SuperblockIo.readForExamine(dev);
            String ours = ExamineReport.format(copy.toString(), sb, dev.sizeBytes() / 512, null, null, ZoneOffset.UTC);
            String mdadm = Commands.check("mdadm", "--examine", copy.toString());
            assertEquals(mdadm, ours);
        }
    }

    @Test
    void nonV12DataIsNotASuperblock() throws Exception {
        // The array data area of a member is not a superblock.
        try (TestFileMember dev = open("la5-c16-nobm", 0)) {
            ByteBuffer data = ByteBuffer.allocate(4096);
            dev.read(2048L * 512, data);
            data.flip();
            SuperblockException e = assertThrows(SuperblockException.class, () -> Superblock.decode(data));
            assertTrue(e.getMessage().startsWith("no md superblock: magic is 0x"), e.getMessage());
            assertFalse(e.getMessage().contains("a92b4efc, expected 0xa92b4efc"));
        }
    }
}
