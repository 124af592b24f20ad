package io.raid5d.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.MetaContexts;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.testing.Await;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.testing.TestCertificates;
import io.raid5d.nbd.tls.TlsSettings;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzzer over the handshake and transmission decoders: it builds valid sessions
 * (client flags, a few options, GO or EXPORT_NAME, requests with payloads, DISC), mutates most
 * of them (flipped bytes, boundary values in length and offset fields, truncation, duplicated,
 * inserted and deleted slices), sends each over a real socket, half-closes, and reads until
 * the server closes. The budget is a fixed number of sessions, so CI time is bounded and
 * every run sees the same inputs. Required: every session ends with the connection closed by
 * the server (a read timeout would mean a hang), no exception escapes to the connection's
 * error guard unexplained, the export is never asked to touch a byte outside itself, and the
 * server still serves a clean session afterwards.
 */
class ProtocolFuzzTest {
    private static final int SESSIONS = 4000;
    private static final long SEED = 0x5eed_6b64L;
    private static final int SIZE = 1 << 20;
    private static final int MAX_PAYLOAD = 128 << 10;
    private static final int HANG_GUARD_SECONDS = 30;
    private static final int[] BOUNDARIES = {0, 1, -1, 0x7fffffff, 0x80000000, SIZE, SIZE - 1, SIZE + 1, MAX_PAYLOAD,
            MAX_PAYLOAD + 1, 4096, 65536, Magic.REQUEST, 0x49484156};

    @Test
    void mutatedSessionsNeverHangLeakErrorsOrEscapeTheExport() throws Exception {
        GuardedExport export = new GuardedExport(InMemoryExport.builder("disk", SIZE).maximumPayload(MAX_PAYLOAD).build());
        NbdServerConfig config = NbdServerConfig.defaults()
                .withTls(TlsSettings.fromPem(TestCertificates.certificate(), TestCertificates.key(), false))
                .withMaxOptionLength(16 << 10)
                .withHandshakeTimeout(Duration.ofSeconds(10));
        Random random = new Random(SEED);
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(export), config)) {
            int mutated = 0;
            for (int i = 0; i < SESSIONS; i++) {
                byte[] session = validSession(random);
                if (random.nextInt(10) != 0) {
                    session = mutate(session, random);
                    mutated++;
                }
                runSession(server, readers, session, i);
            }
            Await.until(() -> server.server.openConnections() == 0,
                    () -> server.server.openConnections() + " connections still open after the fuzzing");
            assertEquals(0, export.outside.get(), "requests outside the export reached it");
            assertEquals(0, server.server.unexpectedErrors(), "unexpected exceptions in the server (see the log)");

            try (RawNbdClient c = RawNbdClient.handshake(server.address,
                    HandshakeFlags.CLIENT_FIXED_NEWSTYLE | HandshakeFlags.CLIENT_NO_ZEROES)) {
                assertEquals(SIZE, c.go("disk").size());
                c.sendRequest(0, Command.READ, 1, 0, 512, null);
                assertEquals(0, c.readReply().error());
            }
            System.out.println(SESSIONS + " sessions, " + mutated + " mutated; export saw " + export.calls.get() + " requests");
        } finally {
            readers.shutdownNow();
        }
    }

    /** Sends the bytes, half-closes, and drains until the server closes; fails on a hang. */
    private static void runSession(RunningServer server, ExecutorService readers, byte[] session, int index) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(HANG_GUARD_SECONDS * 1000);
            socket.connect(server.address, 10_000);
            Future<Long> drained = readers.submit(() -> drain(socket.getInputStream()));
            OutputStream out = socket.getOutputStream();
            try {
                out.write(session);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server already closed on a violation; its side is what is being tested
            }
            try {
                drained.get(HANG_GUARD_SECONDS + 5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail("session " + index + " hung: the server neither answered nor closed");
            }
        }
    }

    private static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 << 10];
        long total = 0;
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
            }
        } catch (SocketTimeoutException e) {
            throw e; // a hang
        } catch (SocketException e) {
            // reset: the server closed with our bytes unread, which counts as closing
        }
        return total;
    }

    private static byte[] validSession(Random r) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeInt(HandshakeFlags.CLIENT_FIXED_NEWSTYLE | (r.nextBoolean() ? HandshakeFlags.CLIENT_NO_ZEROES : 0));
        boolean structured = false;
        boolean context = false;
        int options = r.nextInt(5);
        for (int i = 0; i < options; i++) {
            switch (r.nextInt(8)) {
                case 0 -> { option(d, Option.STRUCTURED_REPLY, new byte[0]); structured = true; }
                case 1 -> option(d, Option.LIST, new byte[0]);
                case 2 -> option(d, Option.INFO, RawNbdClient.infoRequest("disk", InfoType.NAME, InfoType.BLOCK_SIZE));
                case 3 -> { option(d, Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", MetaContexts.BASE_ALLOCATION)); context = true; }
                case 4 -> option(d, Option.LIST_META_CONTEXT, RawNbdClient.metaContextRequest("disk"));
                case 5 -> option(d, r.nextInt(50) == 0 ? Option.STARTTLS : Option.EXTENDED_HEADERS, new byte[0]);
                case 6 -> option(d, Option.INFO, RawNbdClient.infoRequest("nope"));
                default -> option(d, 1000 + r.nextInt(100), new byte[r.nextInt(64)]);
            }
        }
        if (r.nextInt(4) == 0) {
            option(d, Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
        } else {
            option(d, Option.GO, RawNbdClient.infoRequest("disk", InfoType.BLOCK_SIZE));
        }
        int requests = r.nextInt(10);
        for (int i = 0; i < requests; i++) {
            int length = 512 * (1 + r.nextInt(64));
            long offset = 512L * r.nextInt((SIZE - length) / 512);
            int type = switch (r.nextInt(8)) {
                case 0, 1 -> Command.READ;
                case 2, 3 -> Command.WRITE;
                case 4 -> Command.TRIM;
                case 5 -> Command.WRITE_ZEROES;
                case 6 -> structured && context ? Command.BLOCK_STATUS : Command.CACHE;
                default -> Command.FLUSH;
            };
            int flags = r.nextInt(4) == 0 ? CommandFlags.FUA : 0;
            if (type == Command.FLUSH) {
                offset = 0;
                length = 0;
            }
            d.writeInt(Magic.REQUEST);
            d.writeShort(flags);
            d.writeShort(type);
            d.writeLong(r.nextLong());
            d.writeLong(offset);
            d.writeInt(length);
            if (type == Command.WRITE) {
                byte[] payload = new byte[length];
                r.nextBytes(payload);
                d.write(payload);
            }
        }
        if (r.nextBoolean()) {
            d.writeInt(Magic.REQUEST);
            d.writeShort(0);
            d.writeShort(Command.DISC);
            d.writeLong(0);
            d.writeLong(0);
            d.writeInt(0);
        }
        return bytes.toByteArray();
    }

    private static void option(DataOutputStream d, int option, byte[] data) throws IOException {
        d.writeLong(Magic.IHAVEOPT);
        d.writeInt(option);
        d.writeInt(data.length);
        d.write(data);
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in;
        int mutations = 1 + r.nextInt(4);
        for (int m = 0; m < mutations && b.length > 0; m++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[at] = (byte) r.nextInt(256);
                case 2 -> { // a boundary value where a length, offset or magic may sit
                    if (at + 4 <= b.length) {
                        int v = BOUNDARIES[r.nextInt(BOUNDARIES.length)];
                        b[at] = (byte) (v >>> 24);
                        b[at + 1] = (byte) (v >>> 16);
                        b[at + 2] = (byte) (v >>> 8);
                        b[at + 3] = (byte) v;
                    }
                }
                case 3 -> b = java.util.Arrays.copyOf(b, at); // truncate
                case 4 -> { // duplicate a slice
                    int len = Math.min(b.length - at, 1 + r.nextInt(64));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, at + len);
                    System.arraycopy(b, at, out, at + len, b.length - at);
                    b = out;
                }
                default -> { // insert random bytes
                    byte[] junk = new byte[1 + r.nextInt(32)];
                    r.nextBytes(junk);
                    byte[] out = new byte[b.length + junk.length];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(junk, 0, out, at, junk.length);
                    System.arraycopy(b, at, out, at + junk.length, b.length - at);
                    b = out;
                }
            }
        }
        return b;
    }

    /** Passes everything to the in-memory export, counting any request that reaches outside it. */
    private static final class GuardedExport implements BlockExport {
        private final InMemoryExport backing;
        final AtomicInteger outside = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();

        GuardedExport(InMemoryExport backing) {
            this.backing = backing;
        }

        private void check(long offset, long length) {
            calls.incrementAndGet();
            if (offset < 0 || length <= 0 || length > SIZE - offset) {
                outside.incrementAndGet();
                throw new IllegalStateException("outside the export: " + offset + "+" + length);
            }
        }

        @Override public String name() { return backing.name(); }
        @Override public long size() { return backing.size(); }
        @Override public int maximumPayload() { return backing.maximumPayload(); }
        @Override public int minimumBlockSize() { return 512; }
        @Override public boolean canTrim() { return true; }
        @Override public boolean canWriteZeroes() { return true; }
        @Override public boolean canMultiConn() { return true; }

        @Override
        public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
            check(offset, length);
            return backing.read(offset, length, dst);
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
            check(offset, src.readableBytes());
            return backing.write(offset, src, fua);
        }

        @Override
        public CompletableFuture<Void> trim(long offset, long length, boolean fua) {
            check(offset, length);
            return backing.trim(offset, length, fua);
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
            check(offset, length);
            return backing.writeZeroes(offset, length, fua, mayPunchHole);
        }

        @Override
        public CompletableFuture<Void> cache(long offset, long length) {
            check(offset, length);
            return backing.cache(offset, length);
        }

        @Override
        public CompletableFuture<List<Extent>> allocation(long offset, long length) {
            check(offset, length);
            return backing.allocation(offset, length);
        }

        @Override
        public CompletableFuture<Void> flush() {
            calls.incrementAndGet();
            return backing.flush();
        }
    }
}
