package io.raid5d.daemon.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {

    @Test
    void repliesWithDataLinesThenOkOrErr(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        try (ControlServer server = new ControlServer(sock)) {
            server.register("echo", args -> List.of(String.join("|", args), "two\nlines"));
            server.register("refuse", args -> {
                throw new ControlException("not today");
            });
            server.register("crash", args -> {
                throw new IllegalStateException("boom\nsecond line");
            });
            server.start();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));

            ControlProtocol.Reply ok = ControlProtocol.call(sock, List.of("echo", "a b", "c"));
            assertTrue(ok.ok());
            assertEquals(List.of("a b|c", "two", "lines"), ok.lines());

            ControlProtocol.Reply refused = ControlProtocol.call(sock, List.of("refuse"));
            assertFalse(refused.ok());
            assertEquals("not today", refused.error());

            ControlProtocol.Reply crashed = ControlProtocol.call(sock, List.of("crash"));
            assertFalse(crashed.ok());
            assertEquals("boom second line", crashed.error());

            ControlProtocol.Reply unknown = ControlProtocol.call(sock, List.of("nope"));
            assertFalse(unknown.ok());
            assertTrue(unknown.error().contains("unknown command 'nope'") && unknown.error().contains("echo"), unknown.error());
        }
        assertFalse(Files.exists(sock), "socket file removed on close");
    }

    @Test
    void manyClientsAtOnce(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        try (ControlServer server = new ControlServer(sock)) {
            server.register("id", args -> List.of(args.get(0)));
            server.start();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = "client-" + i;
                replies.add(pool.submit(() -> ControlProtocol.call(sock, List.of("id", id)).lines().get(0)));
            }
            List<String> got = new ArrayList<>();
            for (Future<String> f : replies) {
                got.add(f.get());
            }
            pool.shutdown();
            Collections.sort(got);
            List<String> want = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                want.add("client-" + i);
            }
            Collections.sort(want);
            assertEquals(want, got);
        }
    }

    @Test
    void refusesASocketAnotherDaemonUsesButReplacesAStaleOne(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        try (ControlServer first = new ControlServer(sock)) {
            first.start();
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> new ControlServer(sock).start());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        Files.createFile(sock); // left behind by a crash: nothing listens
        try (ControlServer second = new ControlServer(sock)) {
            second.start();
            second.register("ping", args -> List.of("pong"));
            assertEquals(List.of("pong"), ControlProtocol.call(sock, List.of("ping")).lines());
        }
    }

    @Test
    void requestWordsMayNotCarryTabsOrNewlines() {
        assertThrows(IllegalArgumentException.class, () -> ControlProtocol.encodeRequest(List.of("a\tb")));
        assertEquals(List.of("detail", "x y"), ControlProtocol.decodeRequest("detail\tx y"));
    }

    @Test
    void streamsLinesUntilTheVerbEndsAndNoticesAClientThatLeaves(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
        try (ControlServer server = new ControlServer(sock)) {
            server.registerStream("count", (args, out) -> {
                for (int i = 0; i < Integer.parseInt(args.get(0)); i++) {
                    out.line("n" + i);
                }
            });
            server.registerStream("forever", (args, out) -> {
                out.line("hello");
                while (!out.clientGone()) {
                    Thread.sleep(10);
                }
                gone.countDown();
            });
            server.registerStream("bad", (args, out) -> {
                out.line("partial");
                throw new ControlException("went wrong");
            });
            server.start();
            List<String> got = new ArrayList<>();
            assertTrue(ControlProtocol.stream(sock, List.of("count", "3"), got::add).ok());
            assertEquals(List.of("n0", "n1", "n2"), got);

            ControlProtocol.Reply bad = ControlProtocol.call(sock, List.of("bad"));
            assertFalse(bad.ok());
            assertEquals(List.of("partial"), bad.lines());
            assertEquals("went wrong", bad.error());

            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                ch.connect(java.net.UnixDomainSocketAddress.of(sock));
                ch.write(java.nio.ByteBuffer.wrap("forever\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
                while (b.position() < "D hello\n".length()) {
                    ch.read(b);
                }
            }
            assertTrue(gone.await(60, java.util.concurrent.TimeUnit.SECONDS), "the stream saw the client leave");
        }
    }

    @Test
    void awaitStreamsWaitsUntilEachStreamHasSentItsFinalLine(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        ControlServer server = new ControlServer(sock);
        server.registerStream("until-released", (args, out) -> {
            out.line("hello");
            started.countDown();
            release.await();
            Thread.sleep(300); // the verb's last work after the signal that ends it
        });
        server.start();
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(sock));
            ch.write(java.nio.ByteBuffer.wrap("until-released\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertTrue(started.await(30, java.util.concurrent.TimeUnit.SECONDS));
            server.close(); // stops accepting; the open stream goes on
            assertFalse(server.awaitStreams(50), "the stream is still running");
            release.countDown();
            assertTrue(server.awaitStreams(30_000), "the stream ended");
            // Everything the stream sent, OK included, is already in the socket buffer.
            ch.configureBlocking(false);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
            ch.read(b);
            assertEquals("D hello\nOK\n", new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.UTF_8));
        }
        assertTrue(server.awaitStreams(0), "no streams left");
    }
}
