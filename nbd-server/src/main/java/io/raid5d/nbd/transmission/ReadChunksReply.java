package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.protocol.Wire;

/**
 * A successful READ as a structured reply: NBD_REPLY_TYPE_OFFSET_DATA chunks of at most
 * {@code chunkSize} data bytes, the last flagged DONE. The data buffer starts with
 * {@link Wire#OFFSET_DATA_HEADER} bytes of room for the first chunk's header; later chunks'
 * headers go in small buffers of their own, so the data is never copied.
 */
final class ReadChunksReply extends Reply {
    private final long offset;
    private final int chunkSize;

    /** Takes ownership of {@code data}. */
    ReadChunksReply(NbdRequest request, ByteBuf data, int chunkSize) {
        super(request.handle(), request.bufferCost(), data);
        this.offset = request.offset();
        this.chunkSize = chunkSize;
    }

    long offset() { return offset; }
    int chunkSize() { return chunkSize; }
}
