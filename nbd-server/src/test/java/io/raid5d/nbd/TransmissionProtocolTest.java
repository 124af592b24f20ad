package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.NbdErrorException;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.TransmissionFlags;
import io.raid5d.nbd.testing.Await;
import io.raid5d.nbd.testing.ControlledExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransmissionProtocolTest {
    private static final int SIZE = 1 << 20;
    private static final int MAX_PAYLOAD = 64 << 10;

    private final Random random = new Random(42);
    private RunningServer server;
    private ControlledExport export;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RawNbdClient connect(NbdServerConfig config, boolean readOnly, int minimumBlockSize, int... infos) throws IOException {
        InMemoryExport backing = InMemoryExport.builder("disk", SIZE).maximumPayload(MAX_PAYLOAD).build();
        export = new ControlledExport(backing, readOnly, minimumBlockSize);
        server = new RunningServer(new MutableExportRegistry().add(export), config);
        RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        int flags = c.go("disk", infos).flags();
        assertEquals(readOnly, (flags & TransmissionFlags.READ_ONLY) != 0);
        return c;
    }

    private RawNbdClient connect() throws IOException {
        return connect(NbdServerConfig.defaults(), false, 1);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] read(RawNbdClient c, long handle, long offset, int length) throws IOException {
        c.sendRequest(0, Command.READ, handle, offset, length, null);
        assertEquals(new Reply(Errno.OK, handle), c.readReply());
        return c.readBytes(length);
    }

    private static void write(RawNbdClient c, long handle, long offset, byte[] data) throws IOException {
        c.sendRequest(0, Command.WRITE, handle, offset, data.length, data);
        assertEquals(new Reply(Errno.OK, handle), c.readReply());
    }

    @Test
    void writesReadBackAtEveryOffsetAndLength() throws IOException {
        try (RawNbdClient c = connect()) {
            long[] offsets = {0, 1, 4095, 65535, 65536, 300_001, SIZE - MAX_PAYLOAD, SIZE - 1};
            int[] lengths = {1, 7, 4096, 65537 - 1, MAX_PAYLOAD};
            long handle = 0;
            for (long offset : offsets) {
                for (int length : lengths) {
                    if (offset + length > SIZE) {
                        continue;
                    }
                    byte[] data = randomBytes(length);
                    write(c, ++handle, offset, data);
                    assertArrayEquals(data, read(c, ++handle, offset, length));
                    assertArrayEquals(data, export.backing().snapshot(offset, length));
                }
            }
        }
    }

    @Test
    void readBeyondTheEndIsEinval() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(0, Command.READ, 1, SIZE - 10, 11, null);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            c.sendRequest(0, Command.READ, 2, SIZE, 1, null);
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            c.sendRequest(0, Command.READ, 3, 0xFFFF_FFFF_FFFF_F000L, 4096, null); // wraps past 2^64
            assertEquals(new Reply(Errno.EINVAL, 3), c.readReply());
            c.sendRequest(0, Command.READ, 4, Long.MAX_VALUE, 4096, null); // overflows a signed sum
            assertEquals(new Reply(Errno.EINVAL, 4), c.readReply());
            assertEquals(0, export.reads.get());
            read(c, 5, SIZE - 10, 10); // the connection still works
        }
    }

    @Test
    void writeBeyondTheEndIsEinvalWritesNothingAndConsumesThePayload() throws IOException {
        try (RawNbdClient c = connect()) {
            byte[] data = randomBytes(4096);
            c.sendRequest(0, Command.WRITE, 1, SIZE - 2048, data.length, data);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            c.sendRequest(0, Command.WRITE, 2, 0xFFFF_FFFF_FFFF_F800L, data.length, data);
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            assertEquals(0, export.writes.get());
            assertArrayEquals(new byte[2048], export.backing().snapshot(SIZE - 2048, 2048));
            // framing survived: the next request is parsed from the right place
            byte[] small = randomBytes(16);
            write(c, 3, SIZE - 16, small);
            assertArrayEquals(small, read(c, 4, SIZE - 16, 16));
        }
    }

    @Test
    void readLongerThanTheMaximumPayloadIsEinval() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(0, Command.READ, 1, 0, MAX_PAYLOAD + 1, null);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            c.sendRequest(0, Command.READ, 2, 0, -1, null); // 4 GiB - 1
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            assertEquals(0, export.reads.get());
            read(c, 3, 0, MAX_PAYLOAD);
        }
    }

    @Test
    void writeLongerThanTheMaximumPayloadClosesWithoutWriting() throws IOException {
        try (RawNbdClient c = connect()) {
            byte[] data = randomBytes(MAX_PAYLOAD + 1);
            c.sendRequest(0, Command.WRITE, 1, 0, data.length, data);
            assertTrue(c.closedByServer());
        }
        assertEquals(0, export.writes.get());
        assertArrayEquals(new byte[MAX_PAYLOAD + 1], export.backing().snapshot(0, MAX_PAYLOAD + 1));
    }

    @Test
    void badRequestMagicCloses() throws IOException {
        try (RawNbdClient c = connect()) {
            c.queueRaw(new byte[] {0x25, 0x60, (byte) 0x95, 0x14});
            c.queueRaw(new byte[24]);
            c.flush();
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void unknownCommandsAreEinval() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(0, 99, 1, 0, 0, null);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            c.sendRequest(0, 8, 2, 0, 4096, null); // NBD_CMD_RESIZE: not advertised
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            read(c, 3, 0, 1);
        }
    }

    @Test
    void unknownCommandFlagsAreEinval() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(1 << 9, Command.READ, 1, 0, 512, null);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            byte[] data = randomBytes(512);
            c.sendRequest(CommandFlags.DF, Command.WRITE, 2, 0, 512, data); // DF was not negotiated
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            assertEquals(0, export.writes.get());
            assertEquals(0, export.reads.get());
            read(c, 3, 0, 1);
        }
    }

    @Test
    void fuaReachesTheExport() throws IOException {
        try (RawNbdClient c = connect()) {
            byte[] data = randomBytes(4096);
            c.sendRequest(CommandFlags.FUA, Command.WRITE, 1, 8192, data.length, data);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            assertEquals(1, export.writes.get());
            assertEquals(1, export.fuaWrites.get());
            write(c, 2, 0, data);
            assertEquals(2, export.writes.get());
            assertEquals(1, export.fuaWrites.get());
            assertArrayEquals(data, export.backing().snapshot(8192, 4096));
        }
    }

    @Test
    void flushReachesTheExport() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(0, Command.FLUSH, 1, 0, 0, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            assertEquals(1, export.flushes.get());
            c.sendRequest(CommandFlags.FUA, Command.FLUSH, 2, 0, 0, null);
            assertEquals(new Reply(Errno.OK, 2), c.readReply());
            c.sendRequest(0, Command.FLUSH, 3, 0, 4096, null); // offset/length are reserved
            assertEquals(new Reply(Errno.EINVAL, 3), c.readReply());
            assertEquals(2, export.flushes.get());
        }
    }

    @Test
    void discAnswersEveryRequestInFlightThenCloses() throws IOException {
        try (RawNbdClient c = connect()) {
            export.gated = true;
            byte[] data = randomBytes(1000);
            c.queueRequest(0, Command.WRITE, 1, 0, data.length, data);
            c.queueRequest(0, Command.READ, 2, 5000, 100, null);
            c.queueRequest(0, Command.FLUSH, 3, 0, 0, null);
            c.queueRequest(0, Command.DISC, 4, 0, 0, null);
            c.queueRequest(0, Command.READ, 5, 0, 10, null); // after DISC: must be ignored
            c.flush();
            export.awaitHeld(3);
            Await.until(() -> export.unplugs.get() > 0, () -> "unplug after the burst");
            export.release(2);
            export.release(0);
            export.release(0);
            Set<Long> answered = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                Reply r = c.readReply();
                assertEquals(Errno.OK, r.error());
                answered.add(r.handle());
                if (r.handle() == 2) {
                    assertArrayEquals(new byte[100], c.readBytes(100));
                }
            }
            assertEquals(Set.of(1L, 2L, 3L), answered);
            assertTrue(c.closedByServer());
            assertEquals(1, export.reads.get());
            assertArrayEquals(data, export.backing().snapshot(0, data.length));
        }
    }

    @Test
    void discWithFlagsStillDisconnects() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(1 << 12, Command.DISC, 1, 0, 0, null);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void writesToAReadOnlyExportAreEperm() throws IOException {
        try (RawNbdClient c = connect(NbdServerConfig.defaults(), true, 1)) {
            byte[] data = randomBytes(512);
            c.sendRequest(0, Command.WRITE, 1, 0, data.length, data);
            assertEquals(new Reply(Errno.EPERM, 1), c.readReply());
            assertEquals(0, export.writes.get());
            assertArrayEquals(new byte[512], read(c, 2, 0, 512));
        }
    }

    @Test
    void failingExportFuturesBecomeEioOrTheirErrno() throws IOException {
        try (RawNbdClient c = connect()) {
            export.failWith = new IOException("member gone");
            c.sendRequest(0, Command.READ, 1, 0, 512, null);
            assertEquals(new Reply(Errno.EIO, 1), c.readReply());
            c.sendRequest(0, Command.WRITE, 2, 0, 3, new byte[] {1, 2, 3});
            assertEquals(new Reply(Errno.EIO, 2), c.readReply());
            c.sendRequest(0, Command.FLUSH, 3, 0, 0, null);
            assertEquals(new Reply(Errno.EIO, 3), c.readReply());

            export.failWith = new NbdErrorException(Errno.ENOSPC, "full");
            c.sendRequest(0, Command.WRITE, 4, 0, 3, new byte[] {1, 2, 3});
            assertEquals(new Reply(Errno.ENOSPC, 4), c.readReply());

            export.failWith = null;
            export.throwNow = new IllegalStateException("bug");
            c.sendRequest(0, Command.READ, 5, 0, 512, null);
            assertEquals(new Reply(Errno.EIO, 5), c.readReply());

            export.throwNow = null;
            assertArrayEquals(new byte[3], read(c, 6, 0, 3));
        }
    }

    @Test
    void exportFillingTooFewBytesIsEio() throws IOException {
        BlockExport shortReads = new BlockExport() {
            @Override public String name() { return "short"; }
            @Override public long size() { return 4096; }
            @Override
            public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
                dst.writeZero(length - 1);
                return CompletableFuture.completedFuture(null);
            }
            @Override
            public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
                return CompletableFuture.completedFuture(null);
            }
            @Override
            public CompletableFuture<Void> flush() {
                return CompletableFuture.completedFuture(null);
            }
        };
        server = new RunningServer(new MutableExportRegistry().add(shortReads));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            c.go("short");
            c.sendRequest(0, Command.READ, 1, 0, 100, null);
            assertEquals(new Reply(Errno.EIO, 1), c.readReply());
            c.sendRequest(0, Command.FLUSH, 2, 0, 0, null);
            assertEquals(new Reply(Errno.OK, 2), c.readReply());
        }
    }

    @Test
    void repliesFollowCompletionOrder() throws IOException {
        try (RawNbdClient c = connect()) {
            write(c, 1, 0, new byte[] {1, 1, 1, 1});
            write(c, 2, 4096, new byte[] {2, 2, 2, 2});
            export.gated = true;
            c.queueRequest(0, Command.READ, 10, 0, 4, null);
            c.queueRequest(0, Command.READ, 20, 4096, 4, null);
            c.flush();
            export.awaitHeld(2);
            export.release(1);
            assertEquals(new Reply(Errno.OK, 20), c.readReply());
            assertArrayEquals(new byte[] {2, 2, 2, 2}, c.readBytes(4));
            export.release(0);
            assertEquals(new Reply(Errno.OK, 10), c.readReply());
            assertArrayEquals(new byte[] {1, 1, 1, 1}, c.readBytes(4));
        }
    }

    @Test
    void writePayloadsAreReleasedOnceTheExportCompletes() throws IOException {
        // unpooled, so a released buffer object is not recycled and its count stays at 0
        NbdServerConfig config = NbdServerConfig.defaults().withAllocator(new UnpooledByteBufAllocator(true));
        try (RawNbdClient c = connect(config, false, 1)) {
            export.gated = true;
            byte[] big = randomBytes(MAX_PAYLOAD); // spans many socket reads
            c.sendRequest(0, Command.WRITE, 1, 0, big.length, big);
            c.sendRequest(0, Command.WRITE, 2, SIZE - 100, 100, randomBytes(100));
            export.awaitHeld(2);
            synchronized (export.writeSources) {
                for (ByteBuf src : export.writeSources) {
                    assertTrue(src.refCnt() > 0, "payload released before the export completed");
                    assertTrue(src.isDirect(), "payload is not in a direct buffer");
                }
            }
            export.releaseAll();
            assertEquals(Errno.OK, c.readReply().error());
            assertEquals(Errno.OK, c.readReply().error());
            assertArrayEquals(big, export.backing().snapshot(0, big.length));
            synchronized (export.writeSources) {
                for (ByteBuf src : export.writeSources) {
                    assertEquals(0, src.refCnt(), "payload leaked");
                }
            }
        }
    }

    @Test
    void unplugEndsEachBurst() throws IOException {
        try (RawNbdClient c = connect()) {
            write(c, 1, 0, new byte[] {1});
            Await.until(() -> export.unplugs.get() >= 1, () -> "first unplug");
            read(c, 2, 0, 1);
            Await.until(() -> export.unplugs.get() >= 2, () -> "second unplug");
        }
    }

    @Test
    void zeroLengthReadsAndWritesSucceedWithoutTheExport() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendRequest(0, Command.READ, 1, SIZE, 0, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            c.sendRequest(0, Command.WRITE, 2, 0, 0, new byte[0]);
            assertEquals(new Reply(Errno.OK, 2), c.readReply());
            assertEquals(0, export.reads.get() + export.writes.get());
        }
    }

    @Test
    void requestsNotAlignedToTheMinimumBlockSizeAreEinval() throws IOException {
        try (RawNbdClient c = connect(NbdServerConfig.defaults(), false, 512, InfoType.BLOCK_SIZE)) {
            c.sendRequest(0, Command.READ, 1, 100, 512, null);
            assertEquals(new Reply(Errno.EINVAL, 1), c.readReply());
            c.sendRequest(0, Command.WRITE, 2, 512, 100, new byte[100]);
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply());
            read(c, 3, 1024, 512);
        }
    }

    @Test
    void clientsThatNeverLearnedTheBlockSizeAreNotHeldToIt() throws IOException {
        try (RawNbdClient c = connect(NbdServerConfig.defaults(), false, 512)) {
            byte[] data = randomBytes(100);
            write(c, 1, 513, data);
            assertArrayEquals(data, read(c, 2, 513, 100));
        }
    }

    @Test
    void inFlightRequestsStayWithinTheCountLimit() throws Exception {
        NbdServerConfig config = NbdServerConfig.defaults().withMaxInFlightRequests(3);
        try (RawNbdClient c = connect(config, false, 1)) {
            assertEquals(3, pipelineGatedReads(c, 40, 512));
        }
    }

    @Test
    void inFlightRequestsStayWithinTheByteLimit() throws Exception {
        NbdServerConfig config = NbdServerConfig.defaults().withMaxInFlightBytes(64 << 10);
        try (RawNbdClient c = connect(config, false, 1)) {
            // 32 KiB each: the second fills the budget, so at most two are ever in flight
            assertEquals(2, pipelineGatedReads(c, 20, 32 << 10));
        }
    }

    /** Sends {@code count} reads at once, completes them as they trickle in; returns the peak in flight. */
    private int pipelineGatedReads(RawNbdClient c, int count, int length) throws Exception {
        export.gated = true;
        for (int i = 0; i < count; i++) {
            c.queueRequest(0, Command.READ, i, (long) i * length % (SIZE - length), length, null);
        }
        c.flush();
        List<Long> handles = new ArrayList<>();
        CompletableFuture<Void> replies = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    Reply r = c.readReply();
                    assertEquals(Errno.OK, r.error());
                    c.readBytes(length);
                    synchronized (handles) {
                        handles.add(r.handle());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        while (!replies.isDone()) {
            export.releaseAll();
            Thread.sleep(1);
        }
        replies.get();
        assertEquals(count, new HashSet<>(handles).size());
        return export.maxOutstanding.get();
    }
}
