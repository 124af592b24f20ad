package io.raid5d.nbd.transmission;

/**
 * How a failure is answered on a connection: once structured replies are negotiated, as an
 * error chunk with a message (the spec forbids a simple reply to READ then, and prefers
 * chunks for every error); before that, as a simple reply with the errno.
 */
final class ErrorReplies {
    private final boolean structured;

    ErrorReplies(Session session) {
        this.structured = session.structuredReplies();
    }

    /** Messages are for humans; the spec caps strings at 4096 bytes, this keeps them short. */
    private static final int MAX_MESSAGE = 200;

    Reply of(NbdRequest request, int errno, String message) {
        if (!structured) {
            return SimpleReply.status(request, errno);
        }
        String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
        return new ErrorChunkReply(request, errno, text);
    }
}
