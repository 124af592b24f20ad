package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.tls.TlsSettings;
import io.raid5d.nbd.transmission.AdvertisedFlags;
import io.raid5d.nbd.transmission.Session;
import io.raid5d.nbd.transmission.TransmissionPipeline;
import java.lang.System.Logger.Level;

/**
 * Dispatches each option to its {@link OptionHandler} and is the {@link OptionExchange} those
 * handlers answer through. Options it has no handler for get NBD_REP_ERR_UNSUP (their data was
 * already read in full by the decoder). A client that did not agree to fixed newstyle may only
 * send NBD_OPT_EXPORT_NAME; anything else closes the connection. When TLS is required, every
 * option but STARTTLS and ABORT gets NBD_REP_ERR_TLS_REQD until TLS is up (EXPORT_NAME, which
 * cannot fail politely, closes).
 */
final class OptionHaggler extends ChannelInboundHandlerAdapter implements OptionExchange {
    private static final System.Logger LOG = System.getLogger(OptionHaggler.class.getName());

    private final Negotiation negotiation;
    private final boolean fixedNewstyle;
    private final boolean noZeroes;
    /** Negotiated state, handed to the transmission pipeline; event-loop confined. */
    private final Session session = new Session();

    // event-loop confined
    private ChannelHandlerContext ctx;
    /** Haggling ended (transmission or close): options still in the pipe are ignored. */
    private boolean finished;

    OptionHaggler(Negotiation negotiation, int clientFlags) {
        this.negotiation = negotiation;
        this.fixedNewstyle = (clientFlags & HandshakeFlags.CLIENT_FIXED_NEWSTYLE) != 0;
        this.noZeroes = (clientFlags & HandshakeFlags.CLIENT_NO_ZEROES) != 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof OptionRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!finished) {
                haggle(request);
            }
        } finally {
            request.release();
        }
    }

    private void haggle(OptionRequest request) {
        int option = request.option();
        if (!fixedNewstyle && option != Option.EXPORT_NAME) {
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: option " + option + " from a non-fixed-newstyle client");
            close();
            return;
        }
        if (tls().required() && !session.tlsActive() && option != Option.STARTTLS && option != Option.ABORT) {
            if (option == Option.EXPORT_NAME) {
                LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: NBD_OPT_EXPORT_NAME before TLS");
                close();
            } else {
                replyError(option, OptionReplyType.ERR_TLS_REQD, "this server requires TLS: send NBD_OPT_STARTTLS first");
                ctx.flush();
            }
            return;
        }
        OptionHandler handler = negotiation.handler(option);
        if (handler == null) {
            replyError(option, OptionReplyType.ERR_UNSUP, "unsupported option " + option);
        } else {
            handler.handle(this, option, request.content());
        }
        if (!finished) {
            ctx.flush();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            finished = true;
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finished = true;
        ctx.fireExceptionCaught(cause); // the connection's error guard logs and closes
    }

    @Override
    public ExportRegistry registry() {
        return negotiation.registry();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public Session session() {
        return session;
    }

    @Override
    public TlsSettings tls() {
        return negotiation.config().tls();
    }

    @Override
    public boolean clientNoZeroes() {
        return noZeroes;
    }

    @Override
    public void reply(int option, int type, ByteBuf data) {
        ctx.write(new OptionReply(option, type, data));
    }

    @Override
    public void replyError(int option, int errorType, String message) {
        byte[] text = Strings.encode(message);
        reply(option, errorType, ctx.alloc().buffer(text.length).writeBytes(text));
    }

    @Override
    public void replyExportName(BlockExport export) {
        ctx.write(new ExportNameReply(export.size(), AdvertisedFlags.of(export, session), !noZeroes));
    }

    @Override
    public void startTls(int option) {
        OptionDecoder decoder = (OptionDecoder) ctx.pipeline().get(Negotiation.OPTION_DECODER);
        if (decoder.buffered() > 0) {
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: plaintext sent after NBD_OPT_STARTTLS");
            finished = true;
            ctx.close();
            return;
        }
        reply(option, OptionReplyType.ACK, Unpooled.EMPTY_BUFFER);
        ctx.flush(); // the ACK is in the socket's queue, below the TLS handler added next: it leaves in clear
        SslHandler handler = tls().newHandler(ctx.alloc());
        ctx.pipeline().addFirst(Negotiation.TLS, handler);
        handler.handshakeFuture().addListener(done -> {
            if (!done.isSuccess()) {
                // e.g. no client certificate, or one no trusted CA signed: say who and why, once
                LOG.log(Level.INFO, () -> "closing " + ctx.channel().remoteAddress() + ": TLS handshake failed: "
                        + done.cause().getMessage());
                ctx.close();
            }
        });
        session.tlsStarted();
        LOG.log(Level.DEBUG, () -> ctx.channel() + ": TLS started");
    }

    @Override
    public void enterTransmission(BlockExport export) {
        finished = true;
        ctx.flush(); // replies are encoded already; the handshake handlers can go
        session.enteringTransmission(export.name());
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(Negotiation.HANDSHAKE_ENCODER);
        pipeline.remove(Negotiation.HANDSHAKE_TIMEOUT);
        pipeline.remove(this);
        TransmissionPipeline.install(pipeline, Negotiation.OPTION_DECODER, export, negotiation.config(), session);
        LOG.log(Level.DEBUG, () -> ctx.channel() + ": serving " + export.name());
    }

    @Override
    public void close() {
        finished = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}
