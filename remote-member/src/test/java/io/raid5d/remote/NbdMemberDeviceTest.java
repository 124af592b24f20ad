package io.raid5d.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nbd:// members through the core's MemberDevices, against nbdkit. */
class NbdMemberDeviceTest {
    private final List<Process> servers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : servers) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String nbdkit(Path dir, String... args) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("nbdkit", "-f", "--exit-with-parent", "-i", "127.0.0.1", "-p", String.valueOf(port)));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Files.createTempFile(dir, "nbdkit", ".log").toFile()).start();
        servers.add(p);
        for (int i = 0; i < 200; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return "nbd://127.0.0.1:" + port + "/";
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("nbdkit did not start");
    }

    @Test
    void theCoreOpensNbdUrisThroughTheProvider(@TempDir Path dir) throws Exception {
        String uri = nbdkit(dir, "memory", "8M");
        assertFalse(MemberDevices.isPath(uri));
        assertTrue(MemberDevices.isPath("/dev/sdb"));
        assertEquals("nbd://127.0.0.1:10809/disk", MemberDevices.canonicalName("nbd://127.0.0.1/disk"));
        try (MemberDevice dev = MemberDevices.open(uri, false)) {
            assertInstanceOf(NbdMemberDevice.class, dev);
            assertEquals(8 << 20, dev.sizeBytes());
            assertEquals(uri, dev.path(), "named by its canonical URI");
            assertTrue(dev.isBlockDevice());
            byte[] a = random(4096, 1);
            byte[] b = random(8192, 2);
            ByteBuffer[] srcs = {ByteBuffer.wrap(a), ByteBuffer.allocateDirect(8192).put(b).flip()};
            dev.write(65536, srcs);
            assertEquals(0, srcs[0].remaining(), "a gathering write advances each buffer to its limit");
            dev.sync();
            ByteBuffer[] dsts = {ByteBuffer.allocate(4096), ByteBuffer.allocateDirect(8192)};
            dev.read(65536, dsts);
            assertArrayEquals(a, dsts[0].array());
            byte[] back = new byte[8192];
            dsts[1].flip().get(back);
            assertArrayEquals(b, back);
            ByteBuffer one = ByteBuffer.allocate(12288);
            dev.read(65536, one);
            assertEquals(12288, one.position());
        }
    }

    @Test
    void severalConnectionsOnlyWhereTheServerOffersMultiConn(@TempDir Path dir) throws Exception {
        assertEquals(1, RemoteMemberSettings.connections(), "the default");
        RemoteMemberSettings.setConnections(3);
        try (NbdMemberDevice dev = (NbdMemberDevice) MemberDevices.open(nbdkit(dir, "memory", "8M"), false)) {
            assertEquals(3, dev.connections());
            // writes spread over both connections, then one flush, then reads on both see them all
            for (int i = 0; i < 32; i++) {
                dev.write(i * 4096L, ByteBuffer.wrap(random(4096, i)));
            }
            dev.sync();
            for (int i = 0; i < 32; i++) {
                ByteBuffer got = ByteBuffer.allocate(4096);
                dev.read(i * 4096L, got);
                assertArrayEquals(random(4096, i), got.array());
            }
        }
        try (NbdMemberDevice dev = (NbdMemberDevice) MemberDevices.open(
                nbdkit(dir, "--filter=multi-conn", "memory", "8M", "multi-conn-mode=disable"), false)) {
            assertEquals(1, dev.connections());
        } finally {
            RemoteMemberSettings.setConnections(1);
        }
    }

    @Test
    void aDeadServerFailsEveryCallAndAReadOnlyExportIsNotOpenedForWriting(@TempDir Path dir) throws Exception {
        String uri = nbdkit(dir, "memory", "8M");
        try (NbdMemberDevice dev = (NbdMemberDevice) MemberDevices.open(uri, false)) {
            dev.write(0, ByteBuffer.wrap(random(4096, 3)));
            servers.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            IOException first = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 4; i++) { // until a connection notices
                    dev.read(0, ByteBuffer.allocate(4096));
                    Thread.sleep(50);
                }
            });
            assertTrue(first.getMessage().startsWith(dev.path()), first.getMessage());
            assertFalse(dev.connected());
            assertThrows(IOException.class, () -> dev.write(0, ByteBuffer.allocate(4096)));
        }
        MemberOpenException ro = assertThrows(MemberOpenException.class,
                () -> MemberDevices.open(nbdkit(dir, "-r", "memory", "8M"), false));
        assertEquals(MemberOpenException.Reason.PERMISSION_DENIED, ro.reason());
        MemberOpenException away = assertThrows(MemberOpenException.class, () -> MemberDevices.open(uri, false));
        assertEquals(MemberOpenException.Reason.UNREACHABLE, away.reason());
        assertTrue(away.getMessage().contains("cannot be reached"), away.getMessage());
        MemberOpenException bad = assertThrows(MemberOpenException.class, () -> MemberDevices.open("nbd://", false));
        assertEquals(MemberOpenException.Reason.INVALID_NAME, bad.reason());
        assertTrue(bad.getMessage().contains("not an NBD URI"), bad.getMessage());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
