package io.raid5d.nbd.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An export named as libnbd and qemu name them: {@code nbd://host[:port]/export} in clear, or
 * {@code nbds://host[:port]/export} over TLS (STARTTLS, required). Port 10809 when left out.
 * {@code ?tls-certificates=DIR} names a directory laid out as GnuTLS's (and libnbd's):
 * {@code ca-cert.pem} (the CA the server's certificate must chain to; else the JVM's trust
 * store), and optionally {@code client-cert.pem} with {@code client-key.pem} (PKCS#8) for servers
 * that verify their clients.
 */
public record NbdUri(boolean tls, String host, int port, String export, Optional<Path> certificates) {
    public static final int DEFAULT_PORT = 10809;

    /** True when {@code text} is an NBD URI (of either scheme), not a path. */
    public static boolean isNbdUri(String text) {
        return text.startsWith("nbd://") || text.startsWith("nbds://");
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code text} */
    public static NbdUri parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an NBD URI: " + text + " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (!"nbd".equals(scheme) && !"nbds".equals(scheme)) {
            throw new IllegalArgumentException("not an NBD URI: " + text + " (nbd:// or nbds:// expected)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("no host in " + text);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String export = URLDecoder.decode(path.startsWith("/") ? path.substring(1) : path, StandardCharsets.UTF_8);
        Optional<Path> certificates = Optional.empty();
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String part : query.split("&")) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? part : part.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                if (!key.equals("tls-certificates")) {
                    throw new IllegalArgumentException("unknown parameter " + key + " in " + text + " (tls-certificates=DIR is known)");
                }
                certificates = Optional.of(Path.of(value));
            }
        }
        if (certificates.isPresent() && !"nbds".equals(scheme)) {
            throw new IllegalArgumentException("tls-certificates given for a plaintext nbd:// URI: " + text + " (use nbds://)");
        }
        return new NbdUri("nbds".equals(scheme), uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(),
                export, certificates);
    }

    /** The URI as it is written (what names the member in messages and superblock scans). */
    @Override
    public String toString() {
        String host = this.host.contains(":") && !this.host.startsWith("[") ? "[" + this.host + "]" : this.host;
        return (tls ? "nbds" : "nbd") + "://" + host + ":" + port + "/" + export
                + certificates.map(d -> "?tls-certificates=" + d).orElse("");
    }
}
