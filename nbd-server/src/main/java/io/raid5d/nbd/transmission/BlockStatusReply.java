package io.raid5d.nbd.transmission;

import io.netty.buffer.Unpooled;
import io.raid5d.nbd.export.Extent;
import java.util.List;

/**
 * The answer to NBD_CMD_BLOCK_STATUS: one NBD_REPLY_TYPE_BLOCK_STATUS chunk (flagged DONE) for
 * the one context this server has. The extents are already clipped to the request.
 */
final class BlockStatusReply extends Reply {
    private final int contextId;
    private final List<Extent> extents;

    BlockStatusReply(NbdRequest request, int contextId, List<Extent> extents) {
        super(request.handle(), request.bufferCost(), Unpooled.EMPTY_BUFFER);
        this.contextId = contextId;
        this.extents = extents;
    }

    int contextId() { return contextId; }
    List<Extent> extents() { return extents; }
}
