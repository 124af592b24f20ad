package io.raid5d.nbd.lifecycle;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Last handler of every connection: no exception gets past it. Failures a peer can cause
 * (resets, broken TLS) close the connection quietly; anything else is a bug in this server,
 * so it is logged as a warning and counted (the fuzz tests require the count to stay 0),
 * and the connection closes.
 */
@Sharable
public final class ErrorGuard extends ChannelInboundHandlerAdapter {
    public static final String NAME = "errorGuard";
    private static final System.Logger LOG = System.getLogger(ErrorGuard.class.getName());

    private final AtomicLong unexpected = new AtomicLong();

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (causedByPeer(cause)) {
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: " + cause);
        } else {
            unexpected.incrementAndGet();
            LOG.log(Level.WARNING, ctx.channel() + ": closing after an unexpected error", cause);
        }
        ctx.close();
    }

    /** Exceptions that were not the peer's doing, since the server started. */
    public long unexpectedErrors() {
        return unexpected.get();
    }

    private static boolean causedByPeer(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException) { // includes SSLException: a handshake or record the peer broke
                return true;
            }
        }
        return false;
    }
}
