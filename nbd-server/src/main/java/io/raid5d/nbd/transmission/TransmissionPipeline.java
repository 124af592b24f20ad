package io.raid5d.nbd.transmission;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.lifecycle.ErrorGuard;

/**
 * Switches a connection to the transmission phase for one export. Pipeline, head to tail:
 * <pre>
 *   tls                 SslHandler, if the client started TLS while haggling
 *   flushConsolidation  batches the per-reply flushes of one read burst into few syscalls
 *   requestDecoder      bytes -> NbdRequest (payload zero-copy), pauses when the budget is full
 *   idleTimeout         closes the connection after a quiet spell with nothing in flight
 *   replyEncoder        Reply -> one buffer per reply
 *   inFlightLimiter     charges requests to the budget, refunds once the reply is written
 *   requestValidator    answers malformed / out-of-range / forbidden requests with an errno
 *   commandDispatcher   runs the rest against the export, replies, unplugs, handles DISC
 *   errorGuard          logs and closes on any exception
 * </pre>
 */
public final class TransmissionPipeline {
    public static final String FLUSH_CONSOLIDATION = "flushConsolidation";
    public static final String REQUEST_DECODER = "requestDecoder";
    public static final String IDLE_TIMEOUT = "idleTimeout";
    public static final String REPLY_ENCODER = "replyEncoder";
    public static final String IN_FLIGHT_LIMITER = "inFlightLimiter";
    public static final String REQUEST_VALIDATOR = "requestValidator";
    public static final String COMMAND_DISPATCHER = "commandDispatcher";

    /**
     * Installs the transmission handlers, replacing the handshake's decoder {@code decoderName}
     * so bytes the client already sent after its last option go to the request decoder.
     * The caller removes its other handshake handlers first. Must run on the event loop.
     */
    public static void install(ChannelPipeline pipeline, String decoderName, BlockExport export, NbdServerConfig config,
                               Session session) {
        InFlightBudget budget = new InFlightBudget(config.maxInFlightRequests(), config.maxInFlightBytes());
        pipeline.addBefore(decoderName, FLUSH_CONSOLIDATION,
                new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        if (!config.idleTimeout().isZero()) {
            pipeline.addBefore(ErrorGuard.NAME, IDLE_TIMEOUT, new IdleTimeout(config.idleTimeout(), budget));
        }
        pipeline.addBefore(ErrorGuard.NAME, REPLY_ENCODER, new ReplyEncoder());
        pipeline.addBefore(ErrorGuard.NAME, IN_FLIGHT_LIMITER, new InFlightLimiter(budget));
        pipeline.addBefore(ErrorGuard.NAME, REQUEST_VALIDATOR, new RequestValidator(export, session));
        pipeline.addBefore(ErrorGuard.NAME, COMMAND_DISPATCHER, new CommandDispatcher(export, session, config.readChunkSize(), config.fileReadMinimum()));
        // last: the replaced decoder forwards its leftover bytes to the new one at once
        pipeline.replace(decoderName, REQUEST_DECODER, new RequestDecoder(export.maximumPayload(), budget));
    }

    private TransmissionPipeline() {}
}
