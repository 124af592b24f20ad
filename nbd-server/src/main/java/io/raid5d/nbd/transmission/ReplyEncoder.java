package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Wire;
import java.util.List;

/** Turns a {@link SimpleReply} into exactly one buffer, so replies never interleave on the wire. */
final class ReplyEncoder extends MessageToMessageEncoder<SimpleReply> {

    ReplyEncoder() {
        super(SimpleReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, SimpleReply reply, List<Object> out) {
        if (reply.hasData()) {
            ByteBuf data = reply.content();
            data.setInt(0, Magic.SIMPLE_REPLY);
            data.setInt(4, reply.error());
            data.setLong(8, reply.handle());
            data.readerIndex(0);
            out.add(data.retain()); // the encoder releases the reply itself after encode
        } else {
            out.add(ctx.alloc().ioBuffer(Wire.SIMPLE_REPLY_HEADER)
                    .writeInt(Magic.SIMPLE_REPLY)
                    .writeInt(reply.error())
                    .writeLong(reply.handle()));
        }
    }
}
