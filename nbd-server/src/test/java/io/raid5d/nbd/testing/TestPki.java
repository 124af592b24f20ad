package io.raid5d.nbd.testing;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A small public-key infrastructure made with openssl in a directory: a CA, a server
 * certificate for 127.0.0.1 and a client certificate that the CA signed, and a "rogue" client
 * certificate that signed itself. The file names follow GnuTLS's layout ({@code ca-cert.pem},
 * {@code client-cert.pem}, {@code client-key.pem}), so libnbd's {@code tls-certificates=DIR}
 * can use the directory as it is.
 */
public final class TestPki {
    public final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    public static TestPki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        TestPki pki = new TestPki(dir);
        pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=raid5d test CA",
                "-keyout", "ca-key.pem", "-out", "ca-cert.pem");
        pki.signed("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
        pki.signed("client", "raid5d test client", "extendedKeyUsage=clientAuth");
        pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rogue",
                "-keyout", "rogue-key.pem", "-out", "rogue-cert.pem");
        return pki;
    }

    public Path caCert() { return dir.resolve("ca-cert.pem"); }
    public Path serverCert() { return dir.resolve("server-cert.pem"); }
    public Path serverKey() { return dir.resolve("server-key.pem"); }
    public Path clientCert() { return dir.resolve("client-cert.pem"); }
    public Path clientKey() { return dir.resolve("client-key.pem"); }
    public Path rogueCert() { return dir.resolve("rogue-cert.pem"); }
    public Path rogueKey() { return dir.resolve("rogue-key.pem"); }

    /** A client context trusting the CA, presenting {@code cert}/{@code key} (or nothing when null). */
    public SSLContext client(Path cert, Path key) throws IOException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(caCert().toFile());
        if (cert != null) {
            b.keyManager(cert.toFile(), key.toFile());
        }
        return ((JdkSslContext) b.build()).context();
    }

    private void signed(String name, String cn, String extensions) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".ext"), extensions + "\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
                "-keyout", name + "-key.pem", "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + "-cert.pem");
    }

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + Files.readString(log));
        }
    }
}
