package io.raid5d.core.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the mapping against members written by the Linux kernel's md driver. Every 4 KiB
 * array block there starts with a header naming its own array offset, so each data block
 * found on a member must name the array offset {@link Geometry#arraySectorOf} computes,
 * and each parity block must be the XOR of the data blocks of its row.
 */
class MdFixtureLayoutTest {

    private static final Path FIXTURES = Path.of(System.getProperty("raid5d.fixtures", "/work/shared/fixtures"));
    private static final int BLOCK = 4096;
    private static final int SECTORS_PER_BLOCK = BLOCK / Geometry.SECTOR_BYTES;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"ls4-c64-bm1m", "la5-c16-nobm"})
    void everyMemberBlockIsWhereMdPutIt(String fixture) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(FIXTURES.resolve(fixture).resolve("fixture.properties"))) {
            p.load(in);
        }
        int members = Integer.parseInt(p.getProperty("members"));
        Geometry g = Geometry.of(members,
                Integer.parseInt(p.getProperty("chunk_bytes")) / Geometry.SECTOR_BYTES,
                Layout.fromName(p.getProperty("layout")),
                Long.parseLong(p.getProperty("component_size_sectors")));
        assertEquals(Integer.parseInt(p.getProperty("layout_code")), g.layout().mdCode());
        assertEquals(Long.parseLong(p.getProperty("array_size_bytes")), g.arrayBytes());
        long dataOffset = Long.parseLong(p.getProperty("data_offset_sectors")) * Geometry.SECTOR_BYTES;

        unpack(FIXTURES.resolve(fixture).resolve("members.tar.xz"));
        MappedByteBuffer[] member = new MappedByteBuffer[members];
        for (int m = 0; m < members; m++) {
            try (FileChannel ch = FileChannel.open(tmp.resolve("member" + m + ".img"), StandardOpenOption.READ)) {
                member[m] = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
        }

        BitSet seen = new BitSet();
        ByteBuffer[] rowBlocks = new ByteBuffer[members - 1];
        int parityBlocks = 0;
        for (long ms = 0; ms < g.memberSectors(); ms += SECTORS_PER_BLOCK) {
            int pos = Math.toIntExact(dataOffset + ms * Geometry.SECTOR_BYTES);
            int others = 0;
            ByteBuffer parityBlock = null;
            for (int m = 0; m < members; m++) {
                ByteBuffer block = member[m].slice(pos, BLOCK);
                long arraySector = g.arraySectorOf(m, ms);
                if (arraySector < 0) {
                    parityBlock = block;
                    parityBlocks++;
                    continue;
                }
                rowBlocks[others++] = block;
                long offset = arraySector * Geometry.SECTOR_BYTES;
                long blockNo = offset / BLOCK;
                String expected = String.format("kguest-md-ref block=%010d offset=0x%012x", blockNo, offset);
                String where = fixture + " member " + m + " member sector " + ms;
                assertEquals(expected, header(block), where);
                int fill = (int) ((blockNo * 131 + 7) & 0xff);
                assertEquals(fill, block.get(64) & 0xff, where);
                assertEquals(fill, block.get(BLOCK - 1) & 0xff, where);
                assertTrue(!seen.get((int) blockNo), where + ": block " + blockNo + " seen twice");
                seen.set((int) blockNo);
            }
            if (parityBlock == null || others != members - 1) {
                fail(fixture + ": row at member sector " + ms + " has no single parity block");
            }
            assertTrue(Parity.isConsistent(parityBlock, rowBlocks, others),
                    fixture + ": parity mismatch at member sector " + ms);
        }
        assertEquals(g.arrayBytes() / BLOCK, seen.cardinality());
        assertEquals(g.memberSectors() / SECTORS_PER_BLOCK, parityBlocks);
    }

    private static String header(ByteBuffer block) {
        byte[] h = new byte[64];
        block.get(0, h);
        return new String(h, StandardCharsets.US_ASCII).trim();
    }

    private void unpack(Path tarball) throws IOException, InterruptedException {
        Process tar = new ProcessBuilder("tar", "-xJf", tarball.toString(), "-C", tmp.toString())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            tar.destroyForcibly();
            fail("tar failed on " + tarball + ": " + out);
        }
    }
}
