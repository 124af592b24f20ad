package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import io.raid5d.nbd.protocol.Wire;

/**
 * A simple reply on its way to the socket. A successful READ's data sits in a buffer that
 * starts with {@link Wire#SIMPLE_REPLY_HEADER} bytes of room, so the encoder fills in the header
 * in place and the whole reply leaves as one message without copying the data.
 */
public final class SimpleReply extends DefaultByteBufHolder {
    private final long handle;
    private final int error;
    /** Buffer bytes the request accounted for in its connection's in-flight budget. */
    private final long cost;
    private final boolean hasData;

    private SimpleReply(long handle, int error, long cost, ByteBuf content, boolean hasData) {
        super(content);
        this.handle = handle;
        this.error = error;
        this.cost = cost;
        this.hasData = hasData;
    }

    static SimpleReply status(NbdRequest request, int error) {
        return new SimpleReply(request.handle(), error, request.bufferCost(), Unpooled.EMPTY_BUFFER, false);
    }

    /** Successful read; {@code data} holds header room then the bytes read. Takes ownership. */
    static SimpleReply withData(NbdRequest request, ByteBuf data) {
        return new SimpleReply(request.handle(), 0, request.bufferCost(), data, true);
    }

    public long handle() { return handle; }
    public int error() { return error; }
    long cost() { return cost; }
    boolean hasData() { return hasData; }
}
