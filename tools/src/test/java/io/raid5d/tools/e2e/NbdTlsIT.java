package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS with libnbd's clients (GnuTLS) against raid5d --tls-cert/--tls-key, with a CA and
 * server certificate made here by openssl: optional TLS serves both nbds:// and nbd://;
 * --tls-only refuses plaintext. Also --read-only and the other serving options end to end.
 */
class NbdTlsIT {

    @Test
    void optionalTlsServesBothAndTlsOnlyRefusesPlaintext(@TempDir Path dir) throws Exception {
        Path certs = makeCertificates(dir);
        List<Path> members = Members.create(dir, "sec", 4, "64K", "32M");
        String array = Members.arrayArg("sec", members);
        String key = certs.resolve("server-key.pem").toString();
        String cert = certs.resolve("server-cert.pem").toString();

        byte[] data = new byte[8 << 20];
        new Random(3).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);

        try (DaemonProcess d = DaemonProcess.start(dir, "--tls-cert", cert, "--tls-key", key, "--array", array)) {
            String tls = tlsUri(d, "sec", certs);
            String info = Cmd.run(Duration.ofMinutes(1), "nbdinfo", tls).requireOk().out();
            assertTrue(info.contains("newstyle-fixed with TLS"), info);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", in.toString(), tls).requireOk();
            String plain = Cmd.run(Duration.ofMinutes(1), "nbdinfo", d.uri("sec")).requireOk().out();
            assertTrue(plain.contains("without TLS"), plain);
            assertEquals(0, d.stop(), d.log());
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "--tls-cert", cert, "--tls-key", key, "--tls-only",
                "--max-connections", "8", "--handshake-timeout", "30", "--idle-timeout", "60", "--array", array)) {
            Cmd.Result plain = Cmd.run(Duration.ofMinutes(1), "nbdinfo", d.uri("sec"));
            assertNotEquals(0, plain.exit(), plain.out());
            Path out = dir.resolve("out.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", tlsUri(d, "sec", certs), out.toString()).requireOk();
            byte[] back = Files.readAllBytes(out);
            assertEquals(Members.sha256(in), sha256Prefix(dir, back, data.length));
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** --tls-verify-peer: libnbd gets in with a client certificate the CA signed, not without one, not in plaintext. */
    @Test
    void verifyPeerAdmitsOnlyClientsWithACertificateTheCaSigned(@TempDir Path dir) throws Exception {
        // one directory in GnuTLS's layout: the CA, the server's certificate and a client's, all the CA's
        io.raid5d.nbd.testing.TestPki pki = io.raid5d.nbd.testing.TestPki.create(dir.resolve("pki"));
        Path certs = pki.dir;
        Path withCert = pki.dir;
        Path caOnly = Files.createDirectories(dir.resolve("ca-only"));
        Files.copy(pki.caCert(), caOnly.resolve("ca-cert.pem"));
        List<Path> members = Members.create(dir, "mtls", 4, "64K", "16M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--tls-cert", certs.resolve("server-cert.pem").toString(),
                "--tls-key", certs.resolve("server-key.pem").toString(),
                "--tls-verify-peer", certs.resolve("ca-cert.pem").toString(), "--array", Members.arrayArg("mtls", members))) {
            String uri = "nbds://127.0.0.1:" + d.port() + "/mtls?tls-certificates=";
            byte[] data = new byte[1 << 20];
            new Random(8).nextBytes(data);
            Path in = dir.resolve("mtls.bin");
            Files.write(in, data);
            Cmd.run(Duration.ofMinutes(1), "nbdcopy", "--flush", in.toString(), uri + withCert).requireOk();
            Path out = dir.resolve("mtls.out");
            Cmd.run(Duration.ofMinutes(1), "nbdcopy", uri + withCert, out.toString()).requireOk();
            assertEquals(Members.sha256(in), sha256Prefix(dir, Files.readAllBytes(out), data.length));
            Cmd.Result noCert = Cmd.run(Duration.ofMinutes(1), "nbdinfo", uri + caOnly);
            assertNotEquals(0, noCert.exit(), "a client with no certificate got in: " + noCert.out());
            Cmd.Result plain = Cmd.run(Duration.ofMinutes(1), "nbdinfo", d.uri("mtls"));
            assertNotEquals(0, plain.exit(), "a plaintext client got in: " + plain.out());
            assertEquals(0, d.stop(), d.log());
            assertTrue(d.log().contains("TLS handshake failed"), d.log());
        }
    }

    @Test
    void readOnlyDaemonRefusesWritesAndKeepsTheMembers(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "ro", 4, "64K", "16M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ro", members))) {
            Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", d.uri("ro")).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        List<String> before = Members.sha256All(members);
        try (DaemonProcess d = DaemonProcess.start(dir, "--read-only", "--array", Members.arrayArg("ro", members))) {
            String info = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--json", d.uri("ro")).requireOk().out();
            assertTrue(info.matches("(?s).*\"is_read_only\":\\s*true.*"), info);
            assertTrue(info.matches("(?s).*\"can_trim\":\\s*false.*"), info);
            Cmd.Result write = Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", "-c", "write -P 0x11 0 4k", d.uri("ro"));
            assertTrue(write.exit() != 0 || (write.out() + write.err()).contains("failed"), write.out() + write.err());
            Cmd.Result read = Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", "-r", "-c", "read -P 0x5a 0 1M", d.uri("ro"))
                    .requireOk();
            assertTrue(!read.out().contains("fail"), read.out());
            assertEquals(0, d.stop(), d.log());
        }
        // a read-only run still assembles and stops the array (superblock events move), but no data or parity changes
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        assertEquals(before.size(), Members.sha256All(members).size());
    }

    private static String tlsUri(DaemonProcess d, String export, Path certs) {
        return "nbds://127.0.0.1:" + d.port() + "/" + export + "?tls-certificates=" + certs.resolve("client");
    }

    private static String sha256Prefix(Path dir, byte[] bytes, int length) throws Exception {
        Path f = dir.resolve("prefix.bin");
        Files.write(f, java.util.Arrays.copyOf(bytes, length));
        return Members.sha256(f);
    }

    /** A throwaway CA, and a server certificate it signed for 127.0.0.1; the client dir holds the CA. */
    private static Path makeCertificates(Path dir) throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path client = Files.createDirectories(certs.resolve("client"));
        String c = certs.toString();
        Cmd.run(Duration.ofMinutes(1), "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=raid5d test CA", "-keyout", c + "/ca-key.pem", "-out", c + "/ca-cert.pem").requireOk();
        Cmd.run(Duration.ofMinutes(1), "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                "-keyout", c + "/server-key.pem", "-out", c + "/server.csr").requireOk();
        Files.writeString(certs.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        Cmd.run(Duration.ofMinutes(1), "openssl", "x509", "-req", "-in", c + "/server.csr", "-CA", c + "/ca-cert.pem",
                "-CAkey", c + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", c + "/ext.cnf",
                "-out", c + "/server-cert.pem").requireOk();
        Files.copy(certs.resolve("ca-cert.pem"), client.resolve("ca-cert.pem"));
        return certs;
    }
}
