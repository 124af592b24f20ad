package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/** One option the client sent: its code and its data (owned; released after handling). */
public final class OptionRequest extends DefaultByteBufHolder {
    private final int option;

    public OptionRequest(int option, ByteBuf data) {
        super(data);
        this.option = option;
    }

    public int option() { return option; }
}
