package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Wire;

/** Encodes handshake replies; the encoder releases each reply after writing it. */
final class HandshakeReplyEncoder extends MessageToByteEncoder<HandshakeReply> {

    HandshakeReplyEncoder() {
        super(HandshakeReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HandshakeReply msg, ByteBuf out) {
        if (msg instanceof OptionReply reply) {
            ByteBuf data = reply.content();
            out.writeLong(Magic.OPTION_REPLY)
                    .writeInt(reply.option())
                    .writeInt(reply.type())
                    .writeInt(data.readableBytes())
                    .writeBytes(data, data.readerIndex(), data.readableBytes());
        } else if (msg instanceof ExportNameReply reply) {
            out.writeLong(reply.size()).writeShort(reply.transmissionFlags());
            if (reply.padWithZeroes()) {
                out.writeZero(Wire.EXPORT_NAME_PADDING);
            }
        }
    }
}
