package io.raid5d.nbd.transmission;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a transmitting connection whose client sent no complete request for the idle timeout
 * while nothing of it was in flight. Sits after the request decoder, so bytes trickling in
 * without ever completing a request do not keep a connection alive; a connection waiting for
 * slow replies is never idle.
 */
final class IdleTimeout extends IdleStateHandler {
    private static final System.Logger LOG = System.getLogger(IdleTimeout.class.getName());

    private final InFlightBudget budget;
    private final Duration timeout;

    IdleTimeout(Duration timeout, InFlightBudget budget) {
        super(timeout.toNanos(), 0, 0, TimeUnit.NANOSECONDS);
        this.timeout = timeout;
        this.budget = budget;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == io.netty.handler.timeout.IdleState.READER_IDLE && budget.requests() == 0) {
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: idle for " + timeout);
            ctx.close();
        }
    }
}
