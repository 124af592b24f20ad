package io.raid5d.daemon;

import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.export.ReadOnlyRegistry;
import io.raid5d.nbd.tls.TlsSettings;
import io.raid5d.nbd.transport.Transport;
import java.util.Optional;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The daemon's NBD serving options (a picocli mixin): TLS, limits, timeouts, read-only. Turns
 * them into the {@link NbdServerConfig} and the export view the server is given.
 */
public final class NbdServeOptions {

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM server certificate (then any intermediates): offer TLS through NBD_OPT_STARTTLS")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8, unencrypted) private key of --tls-cert")
    Path tlsKey;

    @Option(names = "--tls-only", description = "refuse every NBD option but STARTTLS until TLS is up (needs --tls-cert)")
    boolean tlsOnly;

    @Option(names = "--tls-verify-peer", paramLabel = "CA_FILE",
            description = "require clients to present a certificate signed by a CA in this PEM file (implies --tls-only):"
                    + " an array on a network port is then open only to holders of such a certificate")
    Path tlsVerifyPeer;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "NBD connections open at once, over all exports; more are closed on accept; 0 = no limit (default: ${DEFAULT-VALUE})")
    int maxConnections = 128;

    @Option(names = "--handshake-timeout", paramLabel = "SECONDS",
            description = "close NBD connections that have not chosen an export by then; 0 = never (default: ${DEFAULT-VALUE})")
    long handshakeTimeoutSeconds = 60;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS",
            description = "close NBD connections that send no request for this long with nothing in flight; 0 = never (default: ${DEFAULT-VALUE})")
    long idleTimeoutSeconds = 0;

    @Option(names = "--read-only", description = "export every array read-only (writes, trims and zeroing get EPERM)")
    boolean readOnly;

    @Option(names = "--transport", paramLabel = "auto|epoll|io_uring|nio",
            description = "the NBD server's socket transport (default: the config's TRANSPORT, else auto: epoll where Netty's"
                    + " native library loads, else nio); a named one that is not available here fails the start")
    String transport;

    /** The server configuration these options ask for; reads the TLS certificate and key. */
    public NbdServerConfig config() throws IOException {
        return config(Optional.empty());
    }

    /**
     * As {@link #config()}, with the config file's TRANSPORT as the default of --transport.
     */
    public NbdServerConfig config(Optional<String> configuredTransport) throws IOException {
        if (maxConnections < 0 || handshakeTimeoutSeconds < 0 || idleTimeoutSeconds < 0) {
            throw new IllegalArgumentException("--max-connections, --handshake-timeout and --idle-timeout must not be negative");
        }
        return NbdServerConfig.defaults()
                .withMaxConnections(maxConnections)
                .withHandshakeTimeout(Duration.ofSeconds(handshakeTimeoutSeconds))
                .withIdleTimeout(Duration.ofSeconds(idleTimeoutSeconds))
                .withTls(tls())
                .withTransport(transport != null ? Transport.parse(transport)
                        : configuredTransport.map(Transport::parse).orElse(Transport.fromSystemProperty()));
    }

    /** What clients see of {@code registry}: all of it, read-only with --read-only. */
    public ExportRegistry exports(ExportRegistry registry) {
        return readOnly ? new ReadOnlyRegistry(registry) : registry;
    }

    private TlsSettings tls() throws IOException {
        if (tlsCert == null && tlsKey == null) {
            if (tlsOnly || tlsVerifyPeer != null) {
                throw new IllegalArgumentException((tlsOnly ? "--tls-only" : "--tls-verify-peer") + " needs --tls-cert and --tls-key");
            }
            return TlsSettings.none();
        }
        if (tlsCert == null || tlsKey == null) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        return TlsSettings.fromPem(tlsCert, tlsKey, tlsOnly, tlsVerifyPeer);
    }
}
