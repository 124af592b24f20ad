package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.MetaContexts;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.testing.Await;
import io.raid5d.nbd.testing.ControlledExport;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import io.raid5d.nbd.testing.TestCertificates;
import io.raid5d.nbd.testing.TestPki;
import io.raid5d.nbd.tls.TlsSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * What was negotiated in plaintext (which a man in the middle may have injected) does not
     * survive STARTTLS: structured replies and meta contexts are off until negotiated again
     * inside TLS (the bug class of nbdkit's CVE-2021-3716).
     */
    @Test
    void startTlsForgetsEverythingNegotiatedInPlaintext() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(false)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.negotiateStructuredReplies();
            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", MetaContexts.BASE_ALLOCATION));
            RawNbdClient.OptionReply context = c.readOptionReply();
            assertEquals(OptionReplyType.META_CONTEXT, context.type(), context.text());
            assertEquals(OptionReplyType.ACK, c.readOptionReply().type());
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ACK, c.readOptionReply().type());
            c.startTls(TestCertificates.trustingClient());
            c.go("disk");
            c.sendRequest(0, Command.READ, 1, 0, 4096, null);
            assertEquals(new Reply(Errno.OK, 1), c.readReply(), "a simple reply: structured replies were not renegotiated");
            assertArrayEquals(new byte[4096], c.readBytes(4096));
            c.sendRequest(0, Command.BLOCK_STATUS, 2, 0, 4096, null);
            assertEquals(new Reply(Errno.EINVAL, 2), c.readReply(), "no meta context survives STARTTLS");
        }
    }

    @Test
    void optionsNegotiatedAgainInsideTlsTakeEffect() throws Exception {
        serve(NbdServerConfig.defaults().withTls(tls(false)));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.sendOption(Option.STARTTLS, new byte[0]);
            assertEquals(OptionReplyType.ACK, c.readOptionReply().type());
            c.startTls(TestCertificates.trustingClient());
            c.negotiateStructuredReplies();
            c.go("disk");
            c.sendRequest(0, Command.READ, 1, 0, 4096, null);
            assertArrayEquals(new byte[4096], c.readOffsetData(1, 0, new java.util.ArrayList<>()));
        }
    }

    /** --tls-verify-peer: only clients with a certificate the CA signed get past STARTTLS, and nobody past plaintext. */
    @Test
    void verifyingClientsAdmitsOnlyCertificatesTheCaSigned(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir);
        TlsSettings verifying = TlsSettings.fromPem(pki.serverCert(), pki.serverKey(), false, pki.caCert());
        assertTrue(verifying.required(), "verifying clients implies TLS-only");
        assertTrue(verifying.verifiesClients());
        serve(NbdServerConfig.defaults().withTls(verifying));
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.startTlsAndNegotiate(pki.client(pki.clientCert(), pki.clientKey()));
            assertEquals(1 << 20, c.go("disk").size());
        }
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
            c.sendOption(Option.GO, RawNbdClient.infoRequest("disk"));
            assertEquals(OptionReplyType.ERR_TLS_REQD, c.readOptionReply().type(), "plaintext is refused");
        }
        for (Path[] who : new Path[][] {{null, null}, {pki.rogueCert(), pki.rogueKey()}}) {
            try (RawNbdClient c = RawNbdClient.handshake(server.address, FLAGS)) {
                assertThrows(IOException.class, () -> {
                    c.startTlsAndNegotiate(pki.client(who[0], who[1]));
                    c.go("disk"); // TLS 1.3: the server's verdict on the client arrives after the client's handshake ends
                }, who[0] == null ? "a client without a certificate" : "a self-signed client certificate");
            }
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
