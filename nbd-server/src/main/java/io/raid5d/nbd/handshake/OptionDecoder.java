package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Wire;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Frames option requests. A wrong magic, or data longer than the configured limit (which the
 * server would otherwise have to buffer or skip for an untrusted peer), closes the connection.
 */
final class OptionDecoder extends ByteToMessageDecoder {
    private static final System.Logger LOG = System.getLogger(OptionDecoder.class.getName());

    private final int maxOptionLength;

    OptionDecoder(int maxOptionLength) {
        this.maxOptionLength = maxOptionLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < Wire.OPTION_HEADER) {
            return;
        }
        int at = in.readerIndex();
        long magic = in.getLong(at);
        int option = in.getInt(at + 8);
        long length = in.getUnsignedInt(at + 12);
        if (magic != Magic.IHAVEOPT) {
            reject(ctx, in, "bad option magic 0x" + Long.toHexString(magic));
            return;
        }
        if (length > maxOptionLength) {
            reject(ctx, in, "option " + option + " carries " + length + " bytes, limit " + maxOptionLength);
            return;
        }
        if (in.readableBytes() < Wire.OPTION_HEADER + length) {
            return;
        }
        in.skipBytes(Wire.OPTION_HEADER);
        out.add(new OptionRequest(option, in.readRetainedSlice((int) length)));
    }

    /** Bytes received but not yet framed into an option. */
    int buffered() {
        return actualReadableBytes();
    }

    private static void reject(ChannelHandlerContext ctx, ByteBuf in, String why) {
        LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: " + why);
        in.skipBytes(in.readableBytes());
        ctx.channel().config().setAutoRead(false);
        ctx.close();
    }
}
