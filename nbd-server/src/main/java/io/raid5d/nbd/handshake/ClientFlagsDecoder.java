package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.Magic;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Opens the handshake: sends NBDMAGIC, IHAVEOPT and the handshake flags (FIXED_NEWSTYLE,
 * NO_ZEROES), reads the 32-bit client flags, and hands over to option haggling. Client flags
 * the server does not know close the connection, as the spec demands.
 */
final class ClientFlagsDecoder extends ByteToMessageDecoder {
    private static final System.Logger LOG = System.getLogger(ClientFlagsDecoder.class.getName());
    private static final int GREETING_LENGTH = 8 + 8 + 2;

    private final Negotiation negotiation;

    ClientFlagsDecoder(Negotiation negotiation) {
        this.negotiation = negotiation;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(ctx.alloc().ioBuffer(GREETING_LENGTH)
                .writeLong(Magic.NBDMAGIC)
                .writeLong(Magic.IHAVEOPT)
                .writeShort(HandshakeFlags.FIXED_NEWSTYLE | HandshakeFlags.NO_ZEROES));
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        int clientFlags = in.readInt();
        if ((clientFlags & ~HandshakeFlags.KNOWN_CLIENT_FLAGS) != 0) {
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: unknown client flags 0x" + Integer.toHexString(clientFlags));
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        negotiation.startHaggling(ctx, clientFlags);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DrainEvent.INSTANCE) {
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }
}
