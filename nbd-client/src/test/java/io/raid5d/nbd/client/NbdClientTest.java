package io.raid5d.nbd.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.testing.TestPki;
import io.raid5d.nbd.tls.TlsSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against real servers: raid5d's own, and nbdkit (memory plugin, with filters for errors, delays, limits and TLS). */
class NbdClientTest {
    private static final ClientSettings SETTINGS = ClientSettings.defaults();

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void roundTrip(NbdClient c) throws Exception {
        byte[] data = random(3 << 20, 7);
        c.write(4096, ByteBuffer.wrap(data), false).get(30, TimeUnit.SECONDS);
        c.flush().get(30, TimeUnit.SECONDS);
        ByteBuffer back = ByteBuffer.allocateDirect(data.length);
        c.read(4096, back).get(30, TimeUnit.SECONDS);
        assertEquals(0, back.position(), "read does not move the caller's position");
        byte[] got = new byte[data.length];
        back.get(got);
        assertArrayEquals(data, got);
        c.writeZeroes(8192, 4096).get(30, TimeUnit.SECONDS);
        ByteBuffer z = ByteBuffer.allocate(4096);
        c.read(8192, z).get(30, TimeUnit.SECONDS);
        assertArrayEquals(new byte[4096], z.array());
    }

    @Test
    void readsAndWritesOurOwnServer() throws Exception {
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(InMemoryExport.builder("disk", 16 << 20).build()));
             NbdClient c = NbdClient.connect(NbdUri.parse(server.uri("disk")), SETTINGS)) {
            assertEquals(16 << 20, c.export().size());
            assertTrue(c.export().structured());
            assertTrue(c.export().canFlush());
            roundTrip(c);
        }
    }

    @Test
    void readsAndWritesNbdkitAndSplitsAtItsMaximumPayload(@TempDir Path dir) throws Exception {
        try (Nbdkit kit = Nbdkit.start(dir, "--filter=blocksize-policy", "memory", "64M",
                "blocksize-minimum=512", "blocksize-preferred=4096", "blocksize-maximum=65536");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS)) {
            assertEquals(64 << 20, c.export().size());
            assertEquals(512, c.export().minimumBlock());
            assertEquals(65536, c.export().maximumPayload());
            roundTrip(c); // 3 MiB requests go out as 64 KiB ones
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.read(100, ByteBuffer.allocate(512)).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("whole blocks of 512"), e.getCause().getMessage());
        }
    }

    @Test
    void requestsBeyondTheEndAreRefusedBeforeTheWire(@TempDir Path dir) throws Exception {
        try (Nbdkit kit = Nbdkit.start(dir, "memory", "1M");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.read((1 << 20) - 512, ByteBuffer.allocate(1024)).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("beyond the end"), e.getCause().getMessage());
            assertTrue(c.isOpen());
        }
    }

    /** Many threads, many requests in flight on one connection, replies in any order: each lands in its own buffer. */
    @RepeatedTest(3)
    void manyThreadsShareOneConnection(@TempDir Path dir) throws Exception {
        int threads = 8;
        int perThread = 64;
        int block = 16 << 10;
        try (Nbdkit kit = Nbdkit.start(dir, "--threads=16", "memory", "64M");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        List<CompletableFuture<Void>> writes = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            long at = ((long) thread * perThread + i) * block;
                            writes.add(c.write(at, ByteBuffer.wrap(random(block, at)), false));
                        }
                        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                        List<ByteBuffer> buffers = new ArrayList<>();
                        List<CompletableFuture<Void>> reads = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            ByteBuffer b = ByteBuffer.allocate(block);
                            buffers.add(b);
                            reads.add(c.read(((long) thread * perThread + i) * block, b));
                        }
                        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                        for (int i = 0; i < perThread; i++) {
                            long at = ((long) thread * perThread + i) * block;
                            assertArrayEquals(random(block, at), buffers.get(i).array(), "block at " + at);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(0, c.inFlight());
        }
    }

    @Test
    void anErrorReplyFailsThatRequestWithItsErrno(@TempDir Path dir) throws Exception {
        try (Nbdkit kit = Nbdkit.start(dir, "--filter=error", "memory", "16M", "error=EIO", "error-pread-rate=100%");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS)) {
            c.write(0, ByteBuffer.allocate(4096), false).get(30, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.read(0, ByteBuffer.allocate(4096)).get(30, TimeUnit.SECONDS));
            NbdErrorReply reply = assertInstanceOf(NbdErrorReply.class, e.getCause());
            assertEquals(5, reply.errno());
            assertTrue(c.isOpen(), "an error reply is an answer: the connection stays");
        }
    }

    @Test
    void aSlowServerTimesOutAndAKilledOneFailsWhatIsInFlight(@TempDir Path dir) throws Exception {
        try (Nbdkit kit = Nbdkit.start(dir, "--filter=delay", "memory", "16M", "rdelay=5");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")),
                     SETTINGS.withRequestTimeout(Duration.ofMillis(500)))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.read(0, ByteBuffer.allocate(4096)).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("no reply"), e.getCause().getMessage());
            assertFalse(c.isOpen());
        }
        try (Nbdkit kit = Nbdkit.start(dir, "--filter=delay", "memory", "16M", "rdelay=5");
             NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS)) {
            CompletableFuture<Void> read = c.read(0, ByteBuffer.allocate(4096));
            Thread.sleep(200);
            kit.kill();
            ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("lost"), e.getCause().getMessage());
        }
    }

    @Test
    void connectFailuresSayWhy(@TempDir Path dir) throws Exception {
        IOException refused = assertThrows(IOException.class,
                () -> NbdClient.connect(NbdUri.parse("nbd://127.0.0.1:" + Nbdkit.freePort() + "/x"), SETTINGS));
        assertTrue(refused.getMessage().startsWith("cannot connect to nbd://127.0.0.1:"), refused.getMessage());
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(InMemoryExport.builder("disk", 1 << 20).build()))) {
            IOException unknown = assertThrows(IOException.class,
                    () -> NbdClient.connect(NbdUri.parse(server.uri("nothere")), SETTINGS));
            assertTrue(unknown.getMessage().contains("refused export 'nothere': no such export"), unknown.getMessage());
        }
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            IOException mute = assertThrows(IOException.class, () -> NbdClient.connect(
                    NbdUri.parse("nbd://127.0.0.1:" + silent.getLocalPort() + "/x"), SETTINGS.withConnectTimeout(Duration.ofMillis(500))));
            assertTrue(mute.getMessage().contains("did not finish within"), mute.getMessage());
        }
    }

    /** nbds:// against nbdkit --tls=require --tls-verify-peer: in with a certificate the CA signed; out without, in clear, or with another CA. */
    @Test
    void mutualTlsWithNbdkit(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path noClientCert = Files.createDirectories(dir.resolve("ca-only"));
        Files.copy(pki.caCert(), noClientCert.resolve("ca-cert.pem"));
        TestPki other = TestPki.create(dir.resolve("other"));
        try (Nbdkit kit = Nbdkit.start(dir, "--tls=require", "--tls-certificates=" + pki.dir, "--tls-verify-peer", "memory", "16M")) {
            try (NbdClient c = NbdClient.connect(NbdUri.parse(kit.uri("nbds", "") + "?tls-certificates=" + pki.dir), SETTINGS)) {
                roundTrip(c);
            }
            IOException plain = assertThrows(IOException.class, () -> NbdClient.connect(NbdUri.parse(kit.uri("nbd", "")), SETTINGS));
            assertTrue(plain.getMessage().contains("TLS required"), plain.getMessage());
            assertThrows(IOException.class,
                    () -> NbdClient.connect(NbdUri.parse(kit.uri("nbds", "") + "?tls-certificates=" + noClientCert), SETTINGS)
                            .read(0, ByteBuffer.allocate(512)).get(30, TimeUnit.SECONDS), "no client certificate");
            IOException untrusted = assertThrows(IOException.class,
                    () -> NbdClient.connect(NbdUri.parse(kit.uri("nbds", "") + "?tls-certificates=" + other.dir), SETTINGS));
            assertTrue(untrusted.getMessage().contains("TLS handshake with"), untrusted.getMessage());
        }
    }

    /** No downgrade: an nbds:// client facing a server that will not do TLS stops, it never carries on in clear. */
    @Test
    void anNbdsClientNeverFallsBackToPlaintext(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(InMemoryExport.builder("disk", 1 << 20).build()))) {
            IOException e = assertThrows(IOException.class, () -> NbdClient.connect(
                    NbdUri.parse("nbds://127.0.0.1:" + server.address.getPort() + "/disk?tls-certificates=" + pki.dir), SETTINGS));
            assertTrue(e.getMessage().contains("refused TLS"), e.getMessage());
        }
    }

    /** Our own server with --tls-verify-peer, and the client checking the server's name against its certificate. */
    @Test
    void mutualTlsWithOurServer(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TlsSettings tls = TlsSettings.fromPem(pki.serverCert(), pki.serverKey(), true, pki.caCert());
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(InMemoryExport.builder("disk", 4 << 20).build()),
                NbdServerConfig.defaults().withTls(tls))) {
            String uri = "nbds://127.0.0.1:" + server.address.getPort() + "/disk?tls-certificates=" + pki.dir;
            try (NbdClient c = NbdClient.connect(NbdUri.parse(uri), SETTINGS)) {
                assertTrue(c.export().structured(), "structured replies negotiated inside TLS");
                roundTrip(c);
            }
        }
    }
}
