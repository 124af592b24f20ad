package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.FileSlice;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.ReplyType;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Chunk;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.testing.TestCertificates;
import io.raid5d.nbd.tls.TlsSettings;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * READ replies sent from the export's files (BlockExport.readSlices: sendfile/splice by
 * transport; the suite runs once per transport): the bytes and framing are those of a copied
 * reply, simple and chunked; short reads, TLS and bad slices take the copying path; a send
 * that fails tells the export.
 */
class FileReadsTest {
    private static final int SIZE = 1 << 20;
    private static final int MINIMUM = 8192;

    @TempDir
    Path dir;
    private byte[] content;
    private FileChannel file;
    private SlicedExport export;
    private RunningServer server;

    /** An export over a file that reads it in the reverse order of its "stripes": slices of 12 KiB from scattered places. */
    private final class SlicedExport implements BlockExport {
        final AtomicInteger copiedReads = new AtomicInteger();
        final AtomicInteger slicedReads = new AtomicInteger();
        final AtomicReference<Throwable> sendFailure = new AtomicReference<>();
        volatile boolean wrongSlices;

        @Override public String name() { return "disk"; }
        @Override public long size() { return SIZE; }

        /** Export byte x lives at file position (x + SIZE/2) mod SIZE: every slice ends at the wrap or at 12 KiB. */
        @Override
        public List<FileSlice> readSlices(long offset, int length) {
            List<FileSlice> out = new ArrayList<>();
            long at = offset;
            long end = offset + length;
            while (at < end) {
                long pos = (at + SIZE / 2) % SIZE;
                int n = (int) Math.min(Math.min(end - at, 12 << 10), SIZE - pos);
                out.add(new FileSlice(file, pos, wrongSlices ? n - 1 : n));
                at += n;
            }
            slicedReads.incrementAndGet();
            return out;
        }

        @Override
        public void sliceSendFailed(long offset, int length, Throwable cause) {
            sendFailure.set(cause);
        }

        @Override
        public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
            copiedReads.incrementAndGet();
            for (int i = 0; i < length; i++) {
                dst.writeByte(content[(int) ((offset + i + SIZE / 2) % SIZE)]);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override public CompletableFuture<Void> flush() { return CompletableFuture.completedFuture(null); }
    }

    @BeforeEach
    void start() throws IOException {
        content = new byte[SIZE];
        new Random(16).nextBytes(content);
        Path f = dir.resolve("export.img");
        Files.write(f, content);
        file = FileChannel.open(f, StandardOpenOption.READ);
        export = new SlicedExport();
        serve(NbdServerConfig.defaults());
    }

    private void serve(NbdServerConfig config) {
        if (server != null) {
            server.close();
        }
        server = new RunningServer(new MutableExportRegistry().add(export),
                config.withReadChunkSize(64 << 10).withFileReadMinimum(MINIMUM));
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        file.close();
    }

    private byte[] expected(long offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = content[(int) ((offset + i + SIZE / 2) % SIZE)];
        }
        return b;
    }

    private RawNbdClient connect(boolean structured) throws IOException {
        RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        if (structured) {
            c.negotiateStructuredReplies();
        }
        c.go("disk");
        return c;
    }

    @Test
    void simpleRepliesCarryTheFileBytesAndFileReadsInterleaveWithCopiedOnes() throws IOException {
        try (RawNbdClient c = connect(false)) {
            // pipelined: big (from files) and small (copied) reads, answered in order of completion
            long[] offsets = {0, 100_000, SIZE / 2 - 5000, SIZE - 300_000, 7, 4096};
            int[] lengths = {300_000, 4096, 10_000, 300_000, MINIMUM - 1, MINIMUM};
            for (int i = 0; i < offsets.length; i++) {
                c.queueRequest(0, Command.READ, i, offsets[i], lengths[i], null);
            }
            c.flush();
            for (int i = 0; i < offsets.length; i++) {
                Reply r = c.readReply();
                assertEquals(Errno.OK, r.error());
                int k = (int) r.handle();
                assertArrayEquals(expected(offsets[k], lengths[k]), c.readBytes(lengths[k]), "read " + k);
            }
        }
        assertEquals(4, export.slicedReads.get(), "reads of the minimum and more go from files");
        assertEquals(2, export.copiedReads.get(), "shorter ones are copied");
    }

    @Test
    void structuredRepliesAreChunkedAcrossSlicesAndWholeWithDf() throws IOException {
        try (RawNbdClient c = connect(true)) {
            List<Integer> sizes = new ArrayList<>();
            long offset = SIZE / 2 - 70_000; // crosses the wrap: slices of both ends of the file
            c.sendRequest(0, Command.READ, 1, offset, 200_000, null);
            assertArrayEquals(expected(offset, 200_000), c.readOffsetData(1, offset, sizes));
            assertEquals(List.of(65536, 65536, 65536, 200_000 - 3 * 65536), sizes);

            c.sendRequest(CommandFlags.DF, Command.READ, 2, offset, 200_000, null);
            Chunk whole = c.readChunk();
            assertEquals(ReplyType.FLAG_DONE, whole.flags());
            DataInputStream d = whole.data();
            assertEquals(offset, d.readLong());
            assertArrayEquals(expected(offset, 200_000), d.readAllBytes());
        }
        assertEquals(2, export.slicedReads.get());
        assertEquals(0, export.copiedReads.get());
    }

    @Test
    void slicesThatDoNotAddUpAreIgnoredAndTheReadIsCopied() throws IOException {
        export.wrongSlices = true;
        try (RawNbdClient c = connect(false)) {
            c.sendRequest(0, Command.READ, 1, 1000, 50_000, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            assertArrayEquals(expected(1000, 50_000), c.readBytes(50_000));
        }
        assertEquals(1, export.copiedReads.get());
    }

    @Test
    void tlsRepliesAreAlwaysCopied() throws Exception {
        serve(NbdServerConfig.defaults().withTls(TlsSettings.fromPem(TestCertificates.certificate(), TestCertificates.key(), true)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ACK, c.readOptionReply().type());
            c.startTls(TestCertificates.trustingClient());
            c.go("disk");
            c.sendRequest(0, Command.READ, 1, 0, 100_000, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            assertArrayEquals(expected(0, 100_000), c.readBytes(100_000));
        }
        assertEquals(0, export.slicedReads.get());
        assertEquals(1, export.copiedReads.get());
    }

    /** A closed file is not sent from: the read is copied. */
    @Test
    void aClosedFileIsReadTheCopyingWay() throws Exception {
        file.close();
        try (RawNbdClient c = connect(false)) {
            c.sendRequest(0, Command.READ, 1, 0, 100_000, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            assertArrayEquals(expected(0, 100_000), c.readBytes(100_000));
        }
        assertEquals(1, export.copiedReads.get());
    }

    /** The file shrank under its slices (a send ends early): the connection closes and the export hears of it. */
    @Test
    void aSendThatFailsClosesTheConnectionAndTellsTheExport() throws Exception {
        try (FileChannel w = FileChannel.open(dir.resolve("export.img"), StandardOpenOption.WRITE)) {
            w.truncate(SIZE / 2 + 10_000);
        }
        try (RawNbdClient c = connect(false)) {
            c.sendRequest(0, Command.READ, 1, 0, 100_000, null);
            int got = 0;
            try {
                while (true) {
                    c.readBytes(1);
                    got++;
                }
            } catch (EOFException | SocketException closed) {
                // the server closed: a reply that cannot be completed must not leave the stream framed wrong
            }
            assertTrue(got < 16 + 100_000, "the whole reply arrived from a closed file: " + got);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (export.sendFailure.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(export.sendFailure.get() != null, "sliceSendFailed was not called");
    }
}
