package io.raid5d.nbd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A self-signed server certificate made once per test JVM with openssl, and a client that trusts anything. */
public final class TestCertificates {
    private static Path dir;

    public static synchronized Path certificate() throws IOException, InterruptedException {
        make();
        return dir.resolve("cert.pem");
    }

    public static synchronized Path key() throws IOException, InterruptedException {
        make();
        return dir.resolve("key.pem");
    }

    /** Tests check the NBD side of TLS, not certificate validation, so the client trusts any server. */
    public static SSLContext trustingClient() throws Exception {
        X509TrustManager trustAll = new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new TrustManager[] {trustAll}, null);
        return context;
    }

    private static void make() throws IOException, InterruptedException {
        if (dir != null) {
            return;
        }
        Path d = Files.createTempDirectory("nbd-tls");
        d.toFile().deleteOnExit();
        Process p = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("cert.pem").toString()))
                .redirectErrorStream(true).redirectOutput(d.resolve("openssl.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl failed: " + Files.readString(d.resolve("openssl.log")));
        }
        dir = d;
    }

    private TestCertificates() {}
}
