package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.raid5d.nbd.protocol.Wire;

/**
 * A simple reply. A successful READ's data sits in a buffer that starts with
 * {@link Wire#SIMPLE_REPLY_HEADER} bytes of room, so the encoder fills in the header in place
 * and the whole reply leaves as one message without copying the data.
 */
final class SimpleReply extends Reply {
    private final int error;
    private final boolean hasData;

    private SimpleReply(long handle, int error, long cost, ByteBuf content, boolean hasData) {
        super(handle, cost, content);
        this.error = error;
        this.hasData = hasData;
    }

    static SimpleReply status(NbdRequest request, int error) {
        return new SimpleReply(request.handle(), error, request.bufferCost(), Unpooled.EMPTY_BUFFER, false);
    }

    /** Successful read; {@code data} holds header room then the bytes read. Takes ownership. */
    static SimpleReply withData(NbdRequest request, ByteBuf data) {
        return new SimpleReply(request.handle(), 0, request.bufferCost(), data, true);
    }

    int error() { return error; }
    boolean hasData() { return hasData; }
}
