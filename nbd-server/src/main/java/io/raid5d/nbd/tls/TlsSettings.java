package io.raid5d.nbd.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * Whether and how the server offers TLS (NBD_OPT_STARTTLS). Without a context the server runs
 * in the spec's NOTLS mode; with one, TLS is optional (SELECTIVETLS with no TLS-only export)
 * unless {@code required}, which is FORCEDTLS: every option but STARTTLS and ABORT is refused
 * with NBD_REP_ERR_TLS_REQD until TLS is up.
 */
public final class TlsSettings {
    private static final TlsSettings NONE = new TlsSettings(null, false, false);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"}; // the spec: 1.2 or later only

    private final SslContext context;
    private final boolean required;
    private final boolean verifiesClients;

    private TlsSettings(SslContext context, boolean required, boolean verifiesClients) {
        this.context = context;
        this.required = required;
        this.verifiesClients = verifiesClients;
    }

    public static TlsSettings none() {
        return NONE;
    }

    public static TlsSettings of(SslContext context, boolean required) {
        if (context == null || !context.isServer()) {
            throw new IllegalArgumentException("a server SslContext is needed");
        }
        return new TlsSettings(context, required, false);
    }

    /**
     * From PEM files: {@code certificateChain} holds the server certificate (then any
     * intermediates), {@code privateKey} its unencrypted PKCS#8 key ("BEGIN PRIVATE KEY").
     */
    public static TlsSettings fromPem(Path certificateChain, Path privateKey, boolean required) throws IOException {
        return fromPem(certificateChain, privateKey, required, null);
    }

    /**
     * As {@link #fromPem(Path, Path, boolean)}; with {@code clientCa} (PEM, one or more CA
     * certificates) a client must present a certificate that one of them signed, or its TLS
     * handshake fails and the connection closes (nbdkit's {@code --tls-verify-peer}). Verifying
     * clients only makes sense when no one gets in without TLS, so it implies {@code required}.
     */
    public static TlsSettings fromPem(Path certificateChain, Path privateKey, boolean required, Path clientCa)
            throws IOException {
        for (Path p : clientCa == null ? new Path[] {certificateChain, privateKey} : new Path[] {certificateChain, privateKey, clientCa}) {
            if (!Files.isReadable(p)) {
                throw new IOException("cannot read " + p);
            }
        }
        SslContextBuilder builder;
        try {
            builder = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS);
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot use certificate " + certificateChain + " with key " + privateKey + ": " + e.getMessage(), e);
        }
        if (clientCa != null) {
            try {
                builder.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot use " + clientCa + " as client CA certificates: " + e.getMessage(), e);
            }
        }
        try {
            return new TlsSettings(builder.build(), required || clientCa != null, clientCa != null);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use certificate " + certificateChain + " with key " + privateKey
                    + (clientCa != null ? " and client CA " + clientCa : "") + ": " + e.getMessage(), e);
        }
    }

    public boolean enabled() {
        return context != null;
    }

    /** Clients must present a certificate a configured CA signed. */
    public boolean verifiesClients() {
        return verifiesClients;
    }

    /** FORCEDTLS: nothing but STARTTLS and ABORT before TLS is up. */
    public boolean required() {
        return required;
    }

    /** A fresh server-side handler for one connection. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        if (context == null) {
            throw new IllegalStateException("TLS is not configured");
        }
        return context.newHandler(alloc);
    }
}
