package io.raid5d.core.member;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice.InjectedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultInjectingMemberDeviceTest {

    @TempDir
    Path tmp;

    private FaultInjectingMemberDevice open() throws Exception {
        Path p = tmp.resolve("f.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return new FaultInjectingMemberDevice(MemberDevices.open(p, false));
    }

    @Test
    void rangeFaultsHitOnlyOverlappingIo() throws Exception {
        try (FaultInjectingMemberDevice d = open()) {
            d.failReads(8192, 12288).failWrites(0, 512);
            d.read(4096, ByteBuffer.allocate(4096));          // ends right before the range
            d.read(12288, ByteBuffer.allocate(4096));         // starts right after it
            InjectedIOException r = assertThrows(InjectedIOException.class, () -> d.read(12287, ByteBuffer.allocate(1)));
            assertTrue(r.getMessage().contains("offset 12287") && r.getMessage().contains(d.path()), r.getMessage());
            ByteBuffer untouched = ByteBuffer.allocate(4096);
            assertThrows(InjectedIOException.class, () -> d.read(8000, untouched));
            assertEquals(0, untouched.position(), "failed read leaves the buffer alone");
            assertThrows(InjectedIOException.class, () -> d.write(511, ByteBuffer.allocate(8)));
            d.write(512, ByteBuffer.wrap(new byte[] {7}));
            d.read(0, ByteBuffer.allocate(512));              // reads of the write-fault range are fine

            assertEquals(3, d.reads());
            assertEquals(1, d.writes());
            assertEquals(4096 * 2 + 512, d.bytesRead());
            assertEquals(1, d.bytesWritten());
            assertEquals(3, d.injectedFailures());

            d.heal();
            d.read(8192, ByteBuffer.allocate(4096));
            d.write(0, ByteBuffer.allocate(512));
        }
    }

    @Test
    void failAfterLetsNIosThroughThenFailsEverything() throws Exception {
        try (FaultInjectingMemberDevice d = open()) {
            d.failAfter(3);
            d.write(0, ByteBuffer.allocate(512));
            d.read(0, ByteBuffer.allocate(512));
            d.write(512, ByteBuffer.allocate(512));
            assertThrows(InjectedIOException.class, () -> d.read(0, ByteBuffer.allocate(512)));
            assertThrows(InjectedIOException.class, () -> d.write(0, ByteBuffer.allocate(512)));
            d.sync(); // syncs are separate
            assertEquals(1, d.syncs());
            d.failSyncs(true);
            assertThrows(InjectedIOException.class, d::sync);
            assertEquals(2, d.writes());
            assertEquals(1, d.reads());
            assertEquals(3, d.injectedFailures());
            d.heal();
            d.read(0, ByteBuffer.allocate(512));
            d.sync();
        }
    }

    @Test
    void failAllIsAPulledDisk() throws Exception {
        try (FaultInjectingMemberDevice d = open()) {
            d.failAll();
            assertThrows(InjectedIOException.class, () -> d.read(0, ByteBuffer.allocate(1)));
            assertThrows(InjectedIOException.class, () -> d.write(0, ByteBuffer.allocate(1)));
            assertThrows(InjectedIOException.class, d::sync);
            assertEquals(0, d.bytesRead() + d.bytesWritten());
        }
    }
}
