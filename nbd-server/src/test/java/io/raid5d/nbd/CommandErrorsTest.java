package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.ReadOnlyRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.TransmissionFlags;
import io.raid5d.nbd.testing.ControlledExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One test per error case of the transmission phase, each asserting the exact errno, and that
 * the export saw nothing and the connection keeps working. (READ/WRITE range and length cases,
 * bad magic and the like are in {@link TransmissionProtocolTest}.)
 */
class CommandErrorsTest {
    private static final int SIZE = 1 << 20;
    private static final int MAX_PAYLOAD = 64 << 10;

    private RunningServer server;
    private ControlledExport export;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RawNbdClient connect(boolean readOnly, int minimumBlockSize, int... infos) throws IOException {
        InMemoryExport backing = InMemoryExport.builder("disk", SIZE).maximumPayload(MAX_PAYLOAD).build();
        export = new ControlledExport(backing, readOnly, minimumBlockSize);
        server = new RunningServer(new MutableExportRegistry().add(export));
        RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        c.go("disk", infos);
        return c;
    }

    private static void expect(RawNbdClient c, int errno, int flags, int type, long offset, long length) throws IOException {
        long handle = System.nanoTime();
        c.sendRequest(flags, type, handle, offset, (int) length, type == Command.WRITE ? new byte[(int) length] : null);
        assertEquals(new Reply(errno, handle), c.readReply(), () -> "command " + type + " flags " + flags);
    }

    private void assertExportUntouched() {
        assertEquals(0, export.writes.get() + export.trims.get() + export.zeroes.get() + export.reads.get());
    }

    @Test
    void outOfRangeOffsetsAreEinvalForEveryRangeCommand() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            for (int type : new int[] {Command.READ, Command.WRITE, Command.TRIM, Command.WRITE_ZEROES, Command.CACHE}) {
                expect(c, Errno.EINVAL, 0, type, SIZE - 512, 1024); // crosses the end
                expect(c, Errno.EINVAL, 0, type, SIZE + 4096, 512); // starts beyond it
                expect(c, Errno.EINVAL, 0, type, 0xFFFF_FFFF_FFFF_FE00L, 1024); // wraps past 2^64
            }
            assertExportUntouched();
            expect(c, Errno.OK, 0, Command.TRIM, SIZE - 512, 512); // up to the end is fine
        }
    }

    @Test
    void lengthsOverTheMaximumPayloadAreEinvalButTrimAndZeroHaveNoPayloadLimit() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            expect(c, Errno.EINVAL, 0, Command.READ, 0, MAX_PAYLOAD + 1);
            assertExportUntouched();
            expect(c, Errno.OK, 0, Command.TRIM, 0, SIZE);
            expect(c, Errno.OK, 0, Command.WRITE_ZEROES, 0, SIZE);
        }
    }

    @Test
    void writeOverTheMaximumPayloadClosesWithoutWriting() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            c.sendRequest(0, Command.WRITE, 1, 0, MAX_PAYLOAD + 512, new byte[MAX_PAYLOAD + 512]);
            assertTrue(c.closedByServer());
        }
        assertExportUntouched();
    }

    @Test
    void unalignedRequestsAreEinvalOnlyWhereAlignmentWasPromised() throws IOException {
        try (RawNbdClient c = connect(false, 4096, InfoType.BLOCK_SIZE)) {
            for (int type : new int[] {Command.READ, Command.WRITE, Command.TRIM, Command.WRITE_ZEROES, Command.CACHE}) {
                expect(c, Errno.EINVAL, 0, type, 512, 4096);
                expect(c, Errno.EINVAL, 0, type, 4096, 512);
            }
            assertExportUntouched();
            expect(c, Errno.OK, 0, Command.WRITE, 8192, 4096);
        }
        try (RawNbdClient c = connect(false, 4096)) { // never asked for block sizes: minimum 1 applies
            expect(c, Errno.OK, 0, Command.WRITE, 513, 100);
            expect(c, Errno.OK, 0, Command.TRIM, 1, 4095);
        }
    }

    @Test
    void unknownCommandsAreEinval() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            for (int type : new int[] {8, 9, 99, 0xFFFF}) {
                expect(c, Errno.EINVAL, 0, type, 0, 0);
            }
            expect(c, Errno.OK, 0, Command.READ, 0, 1);
        }
    }

    @Test
    void unknownFlagsAndFlagsInvalidForTheCommandAreEinval() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            expect(c, Errno.EINVAL, 1 << 9, Command.READ, 0, 512); // unknown bit
            expect(c, Errno.EINVAL, 1 << 15, Command.FLUSH, 0, 0);
            expect(c, Errno.EINVAL, CommandFlags.DF, Command.READ, 0, 512); // DF without structured replies
            expect(c, Errno.EINVAL, CommandFlags.NO_HOLE, Command.WRITE, 0, 512); // NO_HOLE only on WRITE_ZEROES
            expect(c, Errno.EINVAL, CommandFlags.FAST_ZERO, Command.TRIM, 0, 512); // FAST_ZERO only on WRITE_ZEROES
            expect(c, Errno.EINVAL, CommandFlags.REQ_ONE, Command.READ, 0, 512); // REQ_ONE only on BLOCK_STATUS
            assertExportUntouched();
            expect(c, Errno.OK, CommandFlags.FUA, Command.READ, 0, 512); // FUA is valid on every command
            c.readBytes(512);
            expect(c, Errno.OK, CommandFlags.FUA | CommandFlags.NO_HOLE, Command.WRITE_ZEROES, 0, 512);
        }
    }

    @Test
    void changesToAReadOnlyExportAreEperm() throws IOException {
        try (RawNbdClient c = connect(true, 1)) {
            expect(c, Errno.EPERM, 0, Command.WRITE, 0, 512);
            expect(c, Errno.EPERM, 0, Command.TRIM, 0, 512);
            expect(c, Errno.EPERM, 0, Command.WRITE_ZEROES, 0, 512);
            expect(c, Errno.EPERM, CommandFlags.FUA, Command.WRITE, 0, 512);
            assertExportUntouched();
            expect(c, Errno.OK, 0, Command.CACHE, 0, 512);
        }
    }

    @Test
    void readOnlyRegistryViewAdvertisesAndEnforcesReadOnly() throws IOException {
        InMemoryExport disk = InMemoryExport.builder("disk", SIZE).build();
        server = new RunningServer(new ReadOnlyRegistry(new MutableExportRegistry().add(disk)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            int flags = c.go("disk").flags();
            assertEquals(TransmissionFlags.READ_ONLY, flags & TransmissionFlags.READ_ONLY);
            assertEquals(0, flags & (TransmissionFlags.SEND_TRIM | TransmissionFlags.SEND_WRITE_ZEROES));
            c.sendRequest(0, Command.WRITE, 1, 0, 4, new byte[] {1, 2, 3, 4});
            assertEquals(new Reply(Errno.EPERM, 1), c.readReply());
        }
        assertArrayEquals(new byte[4], disk.snapshot(0, 4));
    }

    @Test
    void fastZeroWhereZeroingIsSlowIsEnotsup() throws IOException {
        BlockExport slowZero = new SlowZeroExport(InMemoryExport.builder("slow", SIZE).build());
        server = new RunningServer(new MutableExportRegistry().add(slowZero));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            assertTrue((c.go("slow").flags() & TransmissionFlags.SEND_FAST_ZERO) != 0);
            expect(c, Errno.ENOTSUP, CommandFlags.FAST_ZERO, Command.WRITE_ZEROES, 0, 4096);
            expect(c, Errno.OK, 0, Command.WRITE_ZEROES, 0, 4096);
        }
        try (RawNbdClient c = connect(false, 1)) { // the in-memory export zeroes fast: accepted
            expect(c, Errno.OK, CommandFlags.FAST_ZERO, Command.WRITE_ZEROES, 0, 4096);
        }
    }

    @Test
    void flushWithOffsetOrLengthIsEinval() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            expect(c, Errno.EINVAL, 0, Command.FLUSH, 4096, 0);
            expect(c, Errno.EINVAL, 0, Command.FLUSH, 0, 1);
            assertEquals(0, export.flushes.get());
        }
    }

    @Test
    void blockStatusWithoutContextIsEinval() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            expect(c, Errno.EINVAL, 0, Command.BLOCK_STATUS, 0, 4096);
            expect(c, Errno.EINVAL, CommandFlags.REQ_ONE, Command.BLOCK_STATUS, 0, 4096);
        }
    }

    @Test
    void trimAndWriteZeroesReadBackAsZeros() throws IOException {
        try (RawNbdClient c = connect(false, 1)) {
            byte[] ones = new byte[3 * 65536];
            Arrays.fill(ones, (byte) 1);
            c.sendRequest(0, Command.WRITE, 1, 0, MAX_PAYLOAD, Arrays.copyOf(ones, MAX_PAYLOAD));
            c.sendRequest(0, Command.WRITE, 2, MAX_PAYLOAD, MAX_PAYLOAD, Arrays.copyOf(ones, MAX_PAYLOAD));
            assertEquals(Errno.OK, c.readReply().error());
            assertEquals(Errno.OK, c.readReply().error());
            expect(c, Errno.OK, CommandFlags.FUA, Command.TRIM, 100, 70_000);
            expect(c, Errno.OK, CommandFlags.NO_HOLE, Command.WRITE_ZEROES, 80_000, 1000);
            expect(c, Errno.OK, 0, Command.TRIM, 0, 0); // zero length: nothing to do
            byte[] expected = Arrays.copyOf(ones, 2 * MAX_PAYLOAD);
            Arrays.fill(expected, 100, 70_100, (byte) 0);
            Arrays.fill(expected, 80_000, 81_000, (byte) 0);
            assertArrayEquals(expected, export.backing().snapshot(0, 2 * MAX_PAYLOAD));
            assertEquals(1, export.trims.get());
            assertEquals(1, export.zeroes.get());
        }
    }

    /** An export whose zeroing is a plain write of zeros, so FAST_ZERO must be refused. */
    private static final class SlowZeroExport implements BlockExport {
        private final InMemoryExport backing;

        SlowZeroExport(InMemoryExport backing) {
            this.backing = backing;
        }

        @Override public String name() { return backing.name(); }
        @Override public long size() { return backing.size(); }
        @Override public boolean canWriteZeroes() { return true; }

        @Override
        public CompletableFuture<Void> read(long offset, int length, io.netty.buffer.ByteBuf dst) {
            return backing.read(offset, length, dst);
        }

        @Override
        public CompletableFuture<Void> write(long offset, io.netty.buffer.ByteBuf src, boolean fua) {
            return backing.write(offset, src, fua);
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
            return backing.writeZeroes(offset, length, fua, false);
        }

        @Override
        public CompletableFuture<Void> flush() {
            return backing.flush();
        }
    }
}
