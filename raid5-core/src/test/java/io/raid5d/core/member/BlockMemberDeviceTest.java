package io.raid5d.core.member;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Members on a real block device: a loop device over a temporary file (needs root). */
class BlockMemberDeviceTest {

    private static final long SIZE = 64L << 20;

    @TempDir
    Path tmp;


    private static ByteBuffer pattern(int len, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        SplittableRandom r = new SplittableRandom(seed);
        while (b.hasRemaining()) {
            b.put((byte) r.nextInt());
        }
        return b.flip();
    }

    @Test
    void loopDeviceIsSizedWrittenAndHeldExclusively() throws Exception {
        Path backing = tmp.resolve("loop-backing.img");
        try (LoopDevice device = LoopDevice.over(backing, SIZE)) {
            String loop = device.path;
            Path dev = Path.of(loop);
            try (MemberDevice d = MemberDevices.open(dev, false)) {
                assertTrue(d.isBlockDevice());
                assertEquals(SIZE, d.sizeBytes());
                long[] offsets = {0, 1 << 20, SIZE - 65536};
                for (int i = 0; i < offsets.length; i++) {
                    d.write(offsets[i], pattern(65536, i));
                }
                d.sync();
                for (int i = 0; i < offsets.length; i++) {
                    ByteBuffer got = ByteBuffer.allocateDirect(65536);
                    d.read(offsets[i], got);
                    assertEquals(pattern(65536, i), got.flip(), "device block at " + offsets[i]);
                }
                assertThrows(IOException.class, () -> d.read(SIZE - 512, ByteBuffer.allocate(1024)));

                for (boolean readOnly : new boolean[] {false, true}) {
                    MemberOpenException e = assertThrows(MemberOpenException.class, () -> MemberDevices.open(dev, readOnly));
                    assertEquals(MemberOpenException.Reason.BUSY, e.reason());
                    assertTrue(e.getMessage().contains(loop) && e.getMessage().contains("busy"), e.getMessage());
                }
                String child = MemberOpenProbe.runInChildJvm(dev, true);
                assertTrue(child.startsWith("BUSY"), "another process: " + child);
                // Inspection (examine, the daemon's scan) reads a claimed device without claiming it.
                try (MemberDevice look = MemberDevices.openForInspection(dev)) {
                    assertTrue(look.isBlockDevice() && look.isReadOnly());
                    assertEquals(SIZE, look.sizeBytes(), "the size from sysfs");
                    ByteBuffer got = ByteBuffer.allocateDirect(65536);
                    look.read(1 << 20, got);
                    assertEquals(pattern(65536, 1), got.flip());
                }
            }
            // Closed: the claim is gone, so it opens again (read-only this time).
            try (MemberDevice again = MemberDevices.open(dev, true)) {
                assertTrue(again.isReadOnly());
                assertEquals(SIZE, again.sizeBytes());
            }
        }
        // The data went through the device into the backing file.
        try (FileChannel ch = FileChannel.open(backing, StandardOpenOption.READ)) {
            ByteBuffer got = ByteBuffer.allocateDirect(65536);
            ch.read(got, SIZE - 65536);
            assertEquals(pattern(65536, 2), got.flip());
        }
    }
}
