package io.raid5d.nbd.transmission;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.raid5d.nbd.protocol.Command;

/**
 * Charges each decoded request to the connection's {@link InFlightBudget} and refunds it once
 * its reply has been written to the socket (or failed to be), so memory for requests and
 * unsent replies stays bounded even when a client stops reading.
 */
final class InFlightLimiter extends ChannelDuplexHandler {
    private final InFlightBudget budget;

    InFlightLimiter(InFlightBudget budget) {
        this.budget = budget;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof NbdRequest request && request.type() != Command.DISC) {
            budget.acquire(request.bufferCost()); // DISC is never answered, so never charged
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof Reply reply) {
            long cost = reply.cost();
            ChannelPromise tracked = promise.unvoid();
            tracked.addListener(f -> budget.release(cost));
            ctx.write(msg, tracked);
        } else {
            ctx.write(msg, promise);
        }
    }
}
