package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.protocol.OptionReplyType;

/** NBD_OPT_ABORT: acknowledge, then close. */
final class AbortOption implements OptionHandler {

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        exchange.reply(option, OptionReplyType.ACK, exchange.alloc().buffer(0));
        exchange.close();
    }
}
