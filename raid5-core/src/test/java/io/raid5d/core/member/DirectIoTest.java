package io.raid5d.core.member;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block-device members bypass the page cache (O_DIRECT, issue #15): the descriptor carries the
 * flag, aligned pages go straight to the device, and unaligned requests (any byte range a client
 * reads, a sub-block metadata write) still read and write exactly their bytes, through a bounce
 * buffer. Files are buffered unless direct I/O is asked for.
 */
class DirectIoTest {
    private static final long SIZE = 16L << 20;
    private static final int O_DIRECT = 040000;

    @TempDir
    Path tmp;


    /** The flags of the open descriptors of this process for {@code target}, from /proc/self/fdinfo. */
    private static boolean anOpenDescriptorIsDirect(String target) throws IOException {
        for (Path fd : Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            try {
                if (!Files.readSymbolicLink(fd).toString().equals(target)) {
                    continue;
                }
                for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                    if (line.startsWith("flags:") && (Integer.parseInt(line.substring(6).trim(), 8) & O_DIRECT) != 0) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // a descriptor closed meanwhile
            }
        }
        return false;
    }

    @Test
    void aBlockDeviceMemberIsDirectAndEveryByteRangeStillWorks() throws Exception {
        Path backing = tmp.resolve("direct.img");
        try (LoopDevice device = LoopDevice.over(backing, SIZE)) {
            String loop = device.path;
            byte[] model = new byte[(int) SIZE];
            Random r = new Random(9);
            try (MemberDevice d = MemberDevices.open(Path.of(loop), false)) {
                assertTrue(((FileMemberDevice) d).isDirect(), "block devices are direct by default");
                assertTrue(anOpenDescriptorIsDirect(loop), "the descriptor has O_DIRECT");
                // aligned pages (the engine's), straight to the device
                ByteBuffer page = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096).slice();
                byte[] pageData = new byte[4096];
                r.nextBytes(pageData);
                System.arraycopy(pageData, 0, model, 8192, 4096);
                page.put(pageData).flip();
                d.write(8192, page);
                // unaligned writes from heap buffers: sub-block, crossing blocks, odd lengths
                int[][] writes = {{100, 7}, {4000, 300}, {12345, 20000}, {(int) SIZE - 513, 513}};
                for (int[] w : writes) {
                    byte[] data = new byte[w[1]];
                    r.nextBytes(data);
                    System.arraycopy(data, 0, model, w[0], data.length);
                    d.write(w[0], ByteBuffer.wrap(data));
                }
                d.sync();
                int[][] reads = {{0, 40000}, {8192, 4096}, {99, 9}, {12000, 21000}, {(int) SIZE - 600, 600}};
                for (int[] rd : reads) {
                    ByteBuffer got = ByteBuffer.allocate(rd[1]);
                    d.read(rd[0], got);
                    assertTrue(Arrays.equals(Arrays.copyOfRange(model, rd[0], rd[0] + rd[1]), got.array()),
                            "bytes at " + rd[0] + "+" + rd[1]);
                }
            }
            try (MemberDevice buffered = MemberDevices.open(Path.of(loop), true, DirectIoMode.OFF)) {
                assertFalse(((FileMemberDevice) buffered).isDirect());
                ByteBuffer all = ByteBuffer.allocate(40000);
                buffered.read(0, all);
                assertTrue(Arrays.equals(Arrays.copyOfRange(model, 0, 40000), all.array()), "the device holds them");
            }
        }
    }

    @Test
    void filesAreBufferedByDefaultAndDirectWhenAskedFor() throws Exception {
        Path file = tmp.resolve("member.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        try (MemberDevice auto = MemberDevices.open(file, false, DirectIoMode.AUTO)) {
            assertFalse(((FileMemberDevice) auto).isDirect(), "files stay buffered by default");
        }
        try (MemberDevice on = MemberDevices.open(file, false, DirectIoMode.ON)) {
            assertTrue(((FileMemberDevice) on).isDirect());
            assertTrue(anOpenDescriptorIsDirect(file.toString()));
            on.write(1000, ByteBuffer.wrap("sector".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer got = ByteBuffer.allocate(6);
            on.read(1000, got);
            assertEquals("sector", new String(got.array(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void modesParse() {
        assertEquals(DirectIoMode.AUTO, DirectIoMode.parse("auto"));
        assertEquals(DirectIoMode.OFF, DirectIoMode.parse(" Off "));
        assertThrows(IllegalArgumentException.class, () -> DirectIoMode.parse("sometimes"));
        assertTrue(DirectIoMode.AUTO.appliesTo(true) && !DirectIoMode.AUTO.appliesTo(false));
        assertTrue(DirectIoMode.ON.appliesTo(false) && !DirectIoMode.OFF.appliesTo(true));
    }
}
