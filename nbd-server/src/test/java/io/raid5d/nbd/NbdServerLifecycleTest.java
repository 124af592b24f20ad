package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.testing.ControlledExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NbdServerLifecycleTest {

    @Test
    void startOnPortZeroReturnsTheBoundPort() {
        NbdServer server = new NbdServer(new MutableExportRegistry(), NbdServerConfig.defaults().withIoThreads(1));
        try {
            InetSocketAddress bound = server.start(new InetSocketAddress("127.0.0.1", 0));
            assertNotEquals(0, bound.getPort());
            assertEquals(bound, server.localAddress());
            assertThrows(IllegalStateException.class, () -> server.start(new InetSocketAddress("127.0.0.1", 0)));
        } finally {
            server.close();
            server.close(); // idempotent
        }
    }

    @Test
    void closeAnswersInFlightRequestsThenClosesEverything() throws Exception {
        ControlledExport export = new ControlledExport(InMemoryExport.builder("disk", 1 << 20).build());
        NbdServer server = new NbdServer(new MutableExportRegistry().add(export), NbdServerConfig.defaults().withIoThreads(2));
        InetSocketAddress address = server.start(new InetSocketAddress("127.0.0.1", 0));
        try (RawNbdClient serving = RawNbdClient.handshake(address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
             RawNbdClient haggling = RawNbdClient.handshake(address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            serving.go("disk");
            export.gated = true;
            serving.sendRequest(0, Command.WRITE, 7, 0, 3, new byte[] {4, 5, 6});
            export.awaitHeld(1);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertTrue(haggling.closedByServer()); // the drain reached the connections
            assertFalse(closing.isDone(), "close() returned with a request in flight");

            export.releaseAll();
            assertEquals(new Reply(Errno.OK, 7), serving.readReply());
            assertTrue(serving.closedByServer());
            closing.get(30, TimeUnit.SECONDS); // hang guard only
            assertArrayEquals(new byte[] {4, 5, 6}, export.backing().snapshot(0, 3));
        }
        assertThrows(ConnectException.class, () -> RawNbdClient.connect(address).close());
    }

    @Test
    void closeWithIdleConnectionsReturns() throws IOException {
        NbdServer server = new NbdServer(new MutableExportRegistry().add(InMemoryExport.builder("d", 4096).build()),
                NbdServerConfig.defaults().withIoThreads(1));
        InetSocketAddress address = server.start(new InetSocketAddress("127.0.0.1", 0));
        try (RawNbdClient idle = RawNbdClient.handshake(address, CLIENT_FIXED_NEWSTYLE)) {
            idle.go("d");
            server.close();
            assertTrue(idle.closedByServer());
        }
    }
}
