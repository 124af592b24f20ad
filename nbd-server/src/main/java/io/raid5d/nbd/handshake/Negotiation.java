package io.raid5d.nbd.handshake;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.protocol.Option;
import java.util.Map;

/**
 * The fixed newstyle handshake a server runs on each new connection, and the option handlers
 * it knows (shared by all connections; immutable). Pipeline while haggling, head to tail:
 * <pre>
 *   clientFlagsDecoder   sends the greeting, reads the client flags, then becomes:
 *   optionDecoder        bytes -> OptionRequest
 *   handshakeEncoder     HandshakeReply -> bytes
 *   optionHaggler        dispatches each option to its OptionHandler
 * </pre>
 */
public final class Negotiation {
    public static final String CLIENT_FLAGS_DECODER = "clientFlagsDecoder";
    public static final String OPTION_DECODER = "optionDecoder";
    public static final String HANDSHAKE_ENCODER = "handshakeEncoder";
    public static final String OPTION_HAGGLER = "optionHaggler";

    private final ExportRegistry registry;
    private final NbdServerConfig config;
    private final Map<Integer, OptionHandler> options;

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
                Option.INFO, new InfoOption(false),
                Option.GO, new InfoOption(true));
    }

    /** Adds the handshake's first handler to a new connection's pipeline. */
    public void install(ChannelPipeline pipeline) {
        pipeline.addLast(CLIENT_FLAGS_DECODER, new ClientFlagsDecoder(this));
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
