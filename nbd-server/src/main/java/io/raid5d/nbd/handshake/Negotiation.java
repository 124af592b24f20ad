package io.raid5d.nbd.handshake;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.lifecycle.ErrorGuard;
import io.raid5d.nbd.protocol.Option;
import java.util.Map;

/**
 * The fixed newstyle handshake a server runs on each new connection, and the option handlers
 * it knows (shared by all connections; immutable). Pipeline while haggling, head to tail:
 * <pre>
 *   tls                  SslHandler, only after NBD_OPT_STARTTLS
 *   handshakeTimeout     closes the connection if transmission has not started in time
 *   clientFlagsDecoder   sends the greeting, reads the client flags, then becomes:
 *   optionDecoder        bytes -> OptionRequest
 *   handshakeEncoder     HandshakeReply -> bytes
 *   optionHaggler        dispatches each option to its OptionHandler
 *   errorGuard           logs and closes on any exception (stays for the connection's life)
 * </pre>
 */
public final class Negotiation {
    public static final String TLS = "tls";
    public static final String HANDSHAKE_TIMEOUT = "handshakeTimeout";
    public static final String CLIENT_FLAGS_DECODER = "clientFlagsDecoder";
    public static final String OPTION_DECODER = "optionDecoder";
    public static final String HANDSHAKE_ENCODER = "handshakeEncoder";
    public static final String OPTION_HAGGLER = "optionHaggler";

    private final ExportRegistry registry;
    private final NbdServerConfig config;
    private final Map<Integer, OptionHandler> options;
    private final ErrorGuard errorGuard = new ErrorGuard();

    public Negotiation(ExportRegistry registry, NbdServerConfig config) {
        this(registry, config, standardOptions());
    }

    /** With a custom option table; options missing from it are answered NBD_REP_ERR_UNSUP. */
    public Negotiation(ExportRegistry registry, NbdServerConfig config, Map<Integer, OptionHandler> options) {
        this.registry = registry;
        this.config = config;
        this.options = Map.copyOf(options);
    }

    public static Map<Integer, OptionHandler> standardOptions() {
        return Map.of(
                Option.EXPORT_NAME, new ExportNameOption(),
                Option.ABORT, new AbortOption(),
                Option.LIST, new ListOption(),
                Option.STARTTLS, new StartTlsOption(),
                Option.INFO, new InfoOption(false),
                Option.GO, new InfoOption(true),
                Option.STRUCTURED_REPLY, new StructuredReplyOption(),
                Option.LIST_META_CONTEXT, new MetaContextOption(false),
                Option.SET_META_CONTEXT, new MetaContextOption(true));
    }

    /** Adds the handshake's first handlers to a new connection's pipeline. */
    public void install(ChannelPipeline pipeline) {
        pipeline.addLast(HANDSHAKE_TIMEOUT, new HandshakeTimeout(config.handshakeTimeout()));
        pipeline.addLast(CLIENT_FLAGS_DECODER, new ClientFlagsDecoder(this));
        pipeline.addLast(ErrorGuard.NAME, errorGuard);
    }

    /** Exceptions no handler expected, on every connection this negotiation served. */
    public long unexpectedErrors() {
        return errorGuard.unexpectedErrors();
    }

    ExportRegistry registry() {
        return registry;
    }

    NbdServerConfig config() {
        return config;
    }

    OptionHandler handler(int option) {
        return options.get(option);
    }

    /** Replaces the client-flags stage (at {@code flagsCtx}) by option haggling. */
    void startHaggling(ChannelHandlerContext flagsCtx, int clientFlags) {
        ChannelPipeline pipeline = flagsCtx.pipeline();
        pipeline.addAfter(flagsCtx.name(), OPTION_HAGGLER, new OptionHaggler(this, clientFlags));
        pipeline.addAfter(flagsCtx.name(), HANDSHAKE_ENCODER, new HandshakeReplyEncoder());
        pipeline.replace(flagsCtx.name(), OPTION_DECODER, new OptionDecoder(config.maxOptionLength()));
    }
}
