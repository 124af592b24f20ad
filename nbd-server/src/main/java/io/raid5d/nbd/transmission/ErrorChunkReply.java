package io.raid5d.nbd.transmission;

import io.netty.buffer.Unpooled;

/** A failed request as a structured reply: one NBD_REPLY_TYPE_ERROR chunk with a message. */
final class ErrorChunkReply extends Reply {
    private final int error;
    private final String message;

    ErrorChunkReply(NbdRequest request, int error, String message) {
        super(request.handle(), request.bufferCost(), Unpooled.EMPTY_BUFFER);
        this.error = error;
        this.message = message;
    }

    int error() { return error; }
    String message() { return message; }
}
