package io.raid5d.nbd.tls;

import io.netty.buffer.ByteBufAllocator;
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
    private static final TlsSettings NONE = new TlsSettings(null, false);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"}; // the spec: 1.2 or later only

    private final SslContext context;
    private final boolean required;

    private TlsSettings(SslContext context, boolean required) {
        this.context = context;
        this.required = required;
    }

    public static TlsSettings none() {
        return NONE;
    }

    public static TlsSettings of(SslContext context, boolean required) {
        if (context == null || !context.isServer()) {
            throw new IllegalArgumentException("a server SslContext is needed");
        }
        return new TlsSettings(context, required);
    }

    /**
     * From PEM files: {@code certificateChain} holds the server certificate (then any
     * intermediates), {@code privateKey} its unencrypted PKCS#8 key ("BEGIN PRIVATE KEY").
     */
    public static TlsSettings fromPem(Path certificateChain, Path privateKey, boolean required) throws IOException {
        for (Path p : new Path[] {certificateChain, privateKey}) {
            if (!Files.isReadable(p)) {
                throw new IOException("cannot read " + p);
            }
        }
        try {
            SslContext context = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .build();
            return new TlsSettings(context, required);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use certificate " + certificateChain + " with key " + privateKey + ": " + e.getMessage(), e);
        }
    }

    public boolean enabled() {
        return context != null;
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
