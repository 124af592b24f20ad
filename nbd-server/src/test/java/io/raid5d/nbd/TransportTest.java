package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.transport.EventLoops;
import io.raid5d.nbd.transport.Transport;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The transport is chosen as asked, and every one serves the protocol. */
class TransportTest {

    @Test
    void namesParseAsUsersWriteThem() {
        assertEquals(Transport.IO_URING, Transport.parse("io_uring"));
        assertEquals(Transport.IO_URING, Transport.parse("io-uring"));
        assertEquals(Transport.IO_URING, Transport.parse("IOURING"));
        assertEquals(Transport.EPOLL, Transport.parse(" epoll "));
        assertEquals(Transport.NIO, Transport.parse("nio"));
        assertEquals(Transport.AUTO, Transport.parse("auto"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transport.parse("kqueue"));
        assertTrue(e.getMessage().contains("auto, epoll, io_uring or nio"), e.getMessage());
    }

    /** This machine (x86_64 Linux, io_uring allowed) has every transport: CI must test each for real. */
    @Test
    void everyTransportIsAvailableHere() {
        for (Transport t : Transport.values()) {
            assertTrue(EventLoops.isAvailable(t), t + " is not available");
        }
        assertEquals(Transport.EPOLL, EventLoops.resolve(Transport.AUTO).transport());
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING", "NIO"})
    void eachTransportServesWritesAndReads(Transport transport) throws Exception {
        MutableExportRegistry registry = new MutableExportRegistry();
        registry.add(InMemoryExport.builder("disk", 8 << 20).build());
        try (RunningServer s = new RunningServer(registry, NbdServerConfig.defaults().withTransport(transport))) {
            assertEquals(transport, s.server.transport());
            byte[] data = new byte[3 << 20];
            new Random(7).nextBytes(data);
            try (RawNbdClient c = RawNbdClient.handshake(s.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
                c.go("disk");
                c.sendRequest(0, Command.WRITE, 1, 4096, data.length, data);
                assertEquals(new Reply(Errno.OK, 1), c.readReply());
                c.sendRequest(0, Command.READ, 2, 4096, data.length, null);
                assertEquals(new Reply(Errno.OK, 2), c.readReply());
                assertArrayEquals(data, c.readBytes(data.length));
            }
        }
    }

    /** The suite's other tests run on the transport the build names (see the surefire executions). */
    @Test
    void theSuiteRunsOnTheTransportTheBuildNames() {
        Transport asked = Transport.fromSystemProperty();
        MutableExportRegistry registry = new MutableExportRegistry();
        try (RunningServer s = new RunningServer(registry)) {
            Transport running = s.server.transport();
            assertNotEquals(Transport.AUTO, running);
            assertEquals(asked == Transport.AUTO ? Transport.EPOLL : asked, running);
        }
    }
}
