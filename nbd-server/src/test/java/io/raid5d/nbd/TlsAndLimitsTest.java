package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.testing.Await;
import io.raid5d.nbd.testing.ControlledExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.testing.TestCertificates;
import io.raid5d.nbd.tls.TlsSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** STARTTLS in optional and TLS-only mode, the connection limit, handshake and idle timeouts. */
class TlsAndLimitsTest {
    private static final int FLAGS = CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES;

    private RunningServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RunningServer serve(NbdServerConfig config) {
        server = new RunningServer(new MutableExportRegistry().add(InMemoryExport.builder("disk", 1 << 20).build()), config);
        return server;
    }

    private static TlsSettings tls(boolean required) throws Exception {
        return TlsSettings.fromPem(TestCertificates.certificate(), TestCertificates.key(), required);
    }

    @Test
    void tlsOnlyRefusesOptionsUntilStartTlsThenServesOverTls() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(true)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            for (int option : new int[] {Option.INFO, Option.GO, Option.LIST, Option.STRUCTURED_REPLY, Option.SET_META_CONTEXT, 4242}) {
                c.sendOption(option, option == Option.INFO || option == Option.GO ? RawNbdClient.infoRequest("disk") : new byte[0]);
                RawNbdClient.OptionReply r = c.readOptionReply();
                assertEquals(option, r.option());
                assertEquals(OptionReplyType.ERR_TLS_REQD, r.type(), r.text());
            }
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ACK, c.readOptionReply().type());
            c.startTls(TestCertificates.trustingClient());
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type(), "TLS is already up");
            c.negotiateStructuredReplies();
            c.go("disk");
            byte[] data = "over TLS".getBytes(StandardCharsets.UTF_8);
            c.sendRequest(0, Command.WRITE, 1, 4096, data.length, data);
            assertEquals(new Reply(Errno.OK, 1), c.readReply());
            c.sendRequest(0, Command.DISC, 2, 0, 0, null);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void tlsOnlyClosesOnExportNameBeforeTls() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(true)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.sendOption(Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void plaintextPipelinedAfterStartTlsIsNeverObeyed() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(false)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.queueOption(Option.STARTTLS, new byte[0]);
            c.queueOption(Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8)); // an injection attempt
            c.flush();
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void optionalTlsLetsPlainClientsInAndServerWithoutTlsRefusesStartTls() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(false)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            assertEquals(1 << 20, c.go("disk").size());
        }
        server.close();
        serve(NbdServerConfig.defaults());
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ERR_POLICY, c.readOptionReply().type());
            assertEquals(1 << 20, c.go("disk").size());
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedOnAccept() throws Exception {
        serve(NbdServerConfig.defaults().withMaxConnections(2));
        try (RawNbdClient a = RawNbdClient.connect(server.address); RawNbdClient b = RawNbdClient.connect(server.address)) {
            a.readGreeting();
            b.readGreeting();
            try (RawNbdClient c = RawNbdClient.connect(server.address)) {
                assertTrue(c.closedByServer(), "third connection");
            }
            a.close();
            Await.until(() -> server.server.openConnections() == 1, () -> "open connections " + server.server.openConnections());
            try (RawNbdClient d = RawNbdClient.handshake(server.address, FLAGS)) {
                assertEquals(1 << 20, d.go("disk").size());
            }
        }
    }

    @Test
    void handshakeTimeoutClosesStalledClientsButNotTransmittingOnes() throws Exception {
        serve(NbdServerConfig.defaults().withHandshakeTimeout(Duration.ofMillis(300)));
        try (RawNbdClient stalled = RawNbdClient.connect(server.address);
             RawNbdClient working = RawNbdClient.handshake(server.address, FLAGS)) {
            stalled.readGreeting();
            working.go("disk");
            assertTrue(stalled.closedByServer());
            Thread.sleep(600); // past the timeout: transmission is not limited by it
            working.sendRequest(0, Command.READ, 1, 0, 16, null);
            assertEquals(new Reply(Errno.OK, 1), working.readReply());
        }
    }

    @Test
    void idleTimeoutClosesQuietConnectionsButWaitsForRequestsInFlight() throws Exception {
        ControlledExport export = new ControlledExport(InMemoryExport.builder("disk", 1 << 20).build());
        server = new RunningServer(new MutableExportRegistry().add(export),
                NbdServerConfig.defaults().withIdleTimeout(Duration.ofMillis(300)));
        try (RawNbdClient busy = RawNbdClient.handshake(server.address, FLAGS);
             RawNbdClient quiet = RawNbdClient.handshake(server.address, FLAGS)) {
            busy.go("disk");
            quiet.go("disk");
            export.gated = true;
            busy.sendRequest(0, Command.READ, 1, 0, 16, null);
            export.awaitHeld(1);
            assertTrue(quiet.closedByServer());
            Thread.sleep(600); // well past the idle timeout with a request in flight
            export.releaseAll();
            assertEquals(new Reply(Errno.OK, 1), busy.readReply());
            assertArrayEquals(new byte[16], busy.readBytes(16));
            assertTrue(busy.closedByServer(), "idle once its reply is out");
        }
    }
}
