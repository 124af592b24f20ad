package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/** An option reply: the option answered, a reply type, and the type's data (owned). */
public final class OptionReply extends DefaultByteBufHolder implements HandshakeReply {
    private final int option;
    private final int type;

    public OptionReply(int option, int type, ByteBuf data) {
        super(data);
        this.option = option;
        this.type = type;
    }

    public int option() { return option; }
    public int type() { return type; }
}
