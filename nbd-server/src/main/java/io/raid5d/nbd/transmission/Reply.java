package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A reply on its way to the socket; the {@link ReplyEncoder} turns each into one buffer, or
 * (read data from files) the messages of one reply written back to back, so replies never
 * interleave. Holds the read data, if any.
 */
abstract sealed class Reply extends DefaultByteBufHolder
        permits SimpleReply, ReadChunksReply, FileReadReply, BlockStatusReply, ErrorChunkReply {
    private final long handle;
    /** Buffer bytes the request accounted for in its connection's in-flight budget. */
    private final long cost;

    Reply(long handle, long cost, ByteBuf content) {
        super(content);
        this.handle = handle;
        this.cost = cost;
    }

    final long handle() { return handle; }
    final long cost() { return cost; }
}
