package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.OptionReplyType;

/** NBD_OPT_LIST: one NBD_REP_SERVER (name length, name, description) per export, then ACK. */
final class ListOption implements OptionHandler {

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        if (data.isReadable()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "NBD_OPT_LIST takes no data");
            return;
        }
        for (BlockExport export : exchange.registry().list()) {
            byte[] name = Strings.encode(export.name());
            byte[] description = Strings.encode(export.description());
            exchange.reply(option, OptionReplyType.SERVER, exchange.alloc().buffer(4 + name.length + description.length)
                    .writeInt(name.length)
                    .writeBytes(name)
                    .writeBytes(description));
        }
        exchange.reply(option, OptionReplyType.ACK, exchange.alloc().buffer(0));
    }
}
