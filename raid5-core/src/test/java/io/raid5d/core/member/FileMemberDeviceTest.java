package io.raid5d.core.member;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileMemberDeviceTest {

    private static final int SIZE = 1 << 20;

    @TempDir
    Path tmp;

    private Path sizedFile(String name, long size) throws IOException {
        Path p = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    private static ByteBuffer randomDirect(int len, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        SplittableRandom r = new SplittableRandom(seed);
        while (b.hasRemaining()) {
            b.put((byte) r.nextInt());
        }
        return b.flip();
    }

    @Test
    void writeSyncReadRoundtrip() throws Exception {
        Path file = sizedFile("m0.img", SIZE);
        try (MemberDevice d = MemberDevices.open(file, false)) {
            assertEquals(file.toString(), d.path());
            assertEquals(SIZE, d.sizeBytes());
            assertFalse(d.isBlockDevice());
            assertFalse(d.isReadOnly());
            long[] offsets = {0, 69632, 212345, SIZE - 65536};
            for (int i = 0; i < offsets.length; i++) {
                ByteBuffer src = randomDirect(65536, i);
                d.write(offsets[i], src);
                assertEquals(src.limit(), src.position(), "write consumes the buffer");
            }
            d.sync();
            for (int i = 0; i < offsets.length; i++) {
                ByteBuffer dst = ByteBuffer.allocateDirect(65536);
                d.read(offsets[i], dst);
                assertFalse(dst.hasRemaining(), "read fills the buffer");
                dst.flip();
                assertEquals(randomDirect(65536, i), dst, "block at " + offsets[i]);
            }
        }
        // The bytes are in the file itself.
        byte[] onDisk = Files.readAllBytes(file);
        byte[] first = new byte[4096];
        randomDirect(65536, 0).get(first);
        byte[] head = new byte[4096];
        System.arraycopy(onDisk, 0, head, 0, 4096);
        assertArrayEquals(first, head);
    }

    @Test
    void readOnlyOpenRefusesWrites() throws Exception {
        Path file = sizedFile("ro.img", SIZE);
        try (MemberDevice d = MemberDevices.open(file, true)) {
            assertTrue(d.isReadOnly());
            d.read(0, ByteBuffer.allocate(512));
            IOException e = assertThrows(IOException.class, () -> d.write(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("read-only"), e.getMessage());
        }
    }

    @Test
    void ioOutsideTheDeviceFailsNamingPathAndOffset() throws Exception {
        Path file = sizedFile("small.img", 8192);
        try (MemberDevice d = MemberDevices.open(file, false)) {
            IOException r = assertThrows(IOException.class, () -> d.read(8000, ByteBuffer.allocate(512)));
            assertTrue(r.getMessage().contains(file.toString()) && r.getMessage().contains("8000"), r.getMessage());
            IOException w = assertThrows(IOException.class, () -> d.write(8192, ByteBuffer.allocate(1)));
            assertTrue(w.getMessage().contains("8192"), w.getMessage());
            assertThrows(IOException.class, () -> d.read(-1, ByteBuffer.allocate(1)));
            assertEquals(8192, Files.size(file), "a refused write does not grow the file");
        }
    }

    @Test
    void endOfFileDuringReadIsAnIOExceptionNamingPathAndOffset() throws Exception {
        Path file = sizedFile("shrinks.img", SIZE);
        try (MemberDevice d = MemberDevices.open(file, false)) {
            // Someone else shrinks the file after open.
            Process p = new ProcessBuilder("truncate", "-s", "4096", file.toString()).inheritIO().start();
            assertEquals(0, p.waitFor());
            EOFException e = assertThrows(EOFException.class, () -> d.read(0, ByteBuffer.allocateDirect(8192)));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("offset 4096"), e.getMessage());
        }
    }

    @Test
    void missingFileIsNoSuchFile() {
        Path missing = tmp.resolve("nope.img");
        MemberOpenException e = assertThrows(MemberOpenException.class, () -> MemberDevices.open(missing, false));
        assertEquals(MemberOpenException.Reason.NOT_FOUND, e.reason());
        assertEquals(missing.toString(), e.path());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void directoryAndCharacterDeviceAreNotMembers() {
        MemberOpenException dir = assertThrows(MemberOpenException.class, () -> MemberDevices.open(tmp, false));
        assertEquals(MemberOpenException.Reason.NOT_A_DEVICE, dir.reason());
        assertTrue(dir.getMessage().contains("not a regular file or block device"), dir.getMessage());
        MemberOpenException chr = assertThrows(MemberOpenException.class,
                () -> MemberDevices.open(Path.of("/dev/null"), true));
        assertEquals(MemberOpenException.Reason.NOT_A_DEVICE, chr.reason());
    }

    @Test
    void secondOpenInThisProcessIsBusyUntilClosed() throws Exception {
        Path file = sizedFile("twice.img", SIZE);
        MemberDevice first = MemberDevices.open(file, false);
        try {
            for (boolean readOnly : new boolean[] {false, true}) {
                MemberOpenException e = assertThrows(MemberOpenException.class, () -> MemberDevices.open(file, readOnly));
                assertEquals(MemberOpenException.Reason.BUSY, e.reason());
                assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("busy"), e.getMessage());
            }
        } finally {
            first.close();
        }
        first.close(); // idempotent
        try (MemberDevice again = MemberDevices.open(file, false)) {
            assertEquals(SIZE, again.sizeBytes());
        }
    }

    @Test
    void anotherProcessSeesItBusy() throws Exception {
        Path file = sizedFile("shared.img", SIZE);
        assertTrue(MemberOpenProbe.runInChildJvm(file, true).startsWith("OPEN"), "free file opens in a child");
        try (MemberDevice held = MemberDevices.open(file, false)) {
            String out = MemberOpenProbe.runInChildJvm(file, true);
            assertTrue(out.startsWith("BUSY") && out.contains("locked by another process"), out);
        }
        try (MemberDevice shared = MemberDevices.open(file, true)) {
            assertTrue(MemberOpenProbe.runInChildJvm(file, true).startsWith("OPEN"), "two readers may share");
            assertTrue(MemberOpenProbe.runInChildJvm(file, false).startsWith("BUSY"), "a writer may not join readers");
        }
    }

    @Test
    void inspectingAHeldMemberInProcessIsRefusedSoItsLockSurvives(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("held.img");
        java.nio.file.Files.write(file, new byte[1 << 16]);
        try (MemberDevice member = MemberDevices.open(file, false)) {
            assertTrue(MemberDevices.isHeldByThisProcess(file));
            assertTrue(MemberDevices.isHeldByThisProcess(dir.resolve("./held.img")), "any spelling of the path");
            MemberOpenException e = org.junit.jupiter.api.Assertions.assertThrows(MemberOpenException.class,
                    () -> MemberDevices.openForInspection(file));
            assertEquals(MemberOpenException.Reason.BUSY, e.reason());
            // Had it been opened and closed, the process's POSIX lock would be gone: a child sees it busy still.
            assertTrue(MemberOpenProbe.runInChildJvm(file, false).startsWith("BUSY"), "the lock is still held");
        }
        org.junit.jupiter.api.Assertions.assertFalse(MemberDevices.isHeldByThisProcess(file));
        try (MemberDevice look = MemberDevices.openForInspection(file)) {
            assertEquals(1 << 16, look.sizeBytes());
        }
    }
}
