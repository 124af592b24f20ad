package io.raid5d.nbd.handshake;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that has not entered transmission within the handshake timeout, so a
 * client that connects and then stalls (or haggles forever) cannot hold a connection slot.
 * Removed from the pipeline when transmission starts, which cancels it.
 */
final class HandshakeTimeout extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(HandshakeTimeout.class.getName());

    private final Duration timeout;
    // event-loop confined
    private ScheduledFuture<?> expiry;

    HandshakeTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!timeout.isZero()) {
            expiry = ctx.executor().schedule(() -> {
                LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: no transmission after " + timeout);
                ctx.close();
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (expiry != null) {
            expiry.cancel(false);
        }
    }
}
