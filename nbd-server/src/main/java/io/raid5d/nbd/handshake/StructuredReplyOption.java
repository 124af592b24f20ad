package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.raid5d.nbd.protocol.OptionReplyType;

/** NBD_OPT_STRUCTURED_REPLY: no data; ACK, and READ / BLOCK_STATUS answer in chunks from now on. */
final class StructuredReplyOption implements OptionHandler {

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        if (data.isReadable()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
            return;
        }
        exchange.session().structuredRepliesAgreed();
        exchange.reply(option, OptionReplyType.ACK, Unpooled.EMPTY_BUFFER);
    }
}
