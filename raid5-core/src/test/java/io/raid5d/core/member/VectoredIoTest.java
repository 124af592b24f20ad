package io.raid5d.core.member;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vectored member requests (one preadv/pwritev for a merged run of pages in separate buffers,
 * issue #15): every byte lands in order, positions advance to the limits, on a buffered file, a
 * direct file and a direct block device, with aligned engine pages and with unaligned client
 * buffers (which go through one bounce buffer when direct), and a run past the end is refused.
 */
class VectoredIoTest {
    private static final long SIZE = 8L << 20;

    @TempDir
    Path tmp;

    private static ByteBuffer[] segments(Random r, byte[] expected, boolean aligned) {
        int[] lengths = {4096, 8192, 4096, 65536, 4096};
        ByteBuffer[] out = new ByteBuffer[lengths.length];
        int at = 0;
        for (int i = 0; i < lengths.length; i++) {
            ByteBuffer b;
            if (aligned) {
                b = ByteBuffer.allocateDirect(lengths[i] + 4096).alignedSlice(4096).limit(lengths[i]).slice();
            } else { // a client's payload: direct, but 28 bytes into a receive buffer
                b = ByteBuffer.allocateDirect(lengths[i] + 28).position(28).slice();
            }
            byte[] data = new byte[lengths[i]];
            r.nextBytes(data);
            System.arraycopy(data, 0, expected, at, data.length);
            b.put(data).flip();
            out[i] = b;
            at += lengths[i];
        }
        return out;
    }

    private static void roundTrip(MemberDevice d, long offset, boolean aligned) throws IOException {
        Random r = new Random(offset ^ (aligned ? 1 : 2));
        byte[] expected = new byte[4096 + 8192 + 4096 + 65536 + 4096];
        ByteBuffer[] srcs = segments(r, expected, aligned);
        d.write(offset, srcs);
        for (ByteBuffer b : srcs) {
            assertEquals(b.limit(), b.position(), "a written buffer is consumed");
        }
        // read back in differently cut pieces
        ByteBuffer[] dsts = {ByteBuffer.allocateDirect(12288), ByteBuffer.allocateDirect(70000).position(28).slice(),
            ByteBuffer.allocateDirect(expected.length - 12288 - (70000 - 28))};
        d.read(offset, dsts);
        byte[] got = new byte[expected.length];
        int at = 0;
        for (ByteBuffer b : dsts) {
            assertEquals(b.limit(), b.position(), "a read buffer is filled");
            b.flip().get(got, at, b.remaining());
            at += b.limit();
        }
        assertArrayEquals(expected, got);
        // and with plain single reads
        ByteBuffer all = ByteBuffer.allocate(expected.length);
        d.read(offset, all);
        assertArrayEquals(expected, all.array());
    }

    private Path file(String name) throws IOException {
        Path p = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        return p;
    }

    @Test
    void aBufferedFileTakesVectoredRequests() throws Exception {
        try (MemberDevice d = MemberDevices.open(file("b.img"), false, DirectIoMode.OFF)) {
            roundTrip(d, 4096, true);
            roundTrip(d, 1 << 20, false);
            roundTrip(d, 12345, false); // any byte offset on a buffered file
        }
    }

    @Test
    void aDirectFileTakesVectoredRequestsAlignedOrNot() throws Exception {
        Path p = file("d.img");
        try (MemberDevice d = MemberDevices.open(p, false, DirectIoMode.ON)) {
            roundTrip(d, 8192, true);
            roundTrip(d, 2 << 20, false);
            roundTrip(d, (3 << 20) + 512, false); // sector-aligned only: through the bounce buffer
        } catch (MemberOpenException e) {
            // O_DIRECT on the test's temporary file system is a property of the machine, not of
            // this code: say so loudly rather than pass silently
            throw new AssertionError("this file system refuses O_DIRECT; run the suite on tmpfs or ext4: " + e.getMessage(), e);
        }
    }

    @Test
    void aBlockDeviceTakesVectoredRequests() throws Exception {
        try (LoopDevice device = LoopDevice.over(tmp.resolve("loop.img"), SIZE);
             MemberDevice d = MemberDevices.open(Path.of(device.path), false)) {
            assertTrue(((FileMemberDevice) d).isDirect());
            roundTrip(d, 0, true);
            roundTrip(d, 1 << 20, false);
        }
    }

    @Test
    void aRunPastTheEndIsRefusedAndWritesNothing() throws Exception {
        Path p = file("e.img");
        try (MemberDevice d = MemberDevices.open(p, false, DirectIoMode.OFF)) {
            ByteBuffer[] srcs = {ByteBuffer.allocateDirect(4096), ByteBuffer.allocateDirect(8192)};
            srcs[0].put(0, (byte) 7);
            IOException e = assertThrows(IOException.class, () -> d.write(SIZE - 8192, srcs));
            assertTrue(e.getMessage().contains("outside the device"), e.getMessage());
        }
        assertEquals(SIZE, Files.size(p), "the file did not grow");
        byte[] tail = new byte[8192];
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            f.seek(SIZE - 8192);
            f.readFully(tail);
        }
        assertArrayEquals(new byte[8192], tail);
    }
}
