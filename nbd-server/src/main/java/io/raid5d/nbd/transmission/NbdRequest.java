package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.protocol.Command;

/**
 * One decoded transmission request. A WRITE carries its payload, which the request owns until
 * it is handed on: whoever drops the request without passing it on must {@link #releasePayload()}.
 */
public final class NbdRequest {
    private final int flags;
    private final int type;
    private final long handle;
    private final long offset;
    /** Unsigned 32-bit length from the wire. */
    private final long length;
    private ByteBuf payload;

    NbdRequest(int flags, int type, long handle, long offset, long length, ByteBuf payload) {
        this.flags = flags;
        this.type = type;
        this.handle = handle;
        this.offset = offset;
        this.length = length;
        this.payload = payload;
    }

    public int flags() { return flags; }
    public int type() { return type; }
    public long handle() { return handle; }
    /** Unsigned on the wire: a negative value means beyond 2^63. */
    public long offset() { return offset; }
    public long length() { return length; }

    /** Payload bytes of a WRITE, else null. */
    public ByteBuf payload() { return payload; }

    /** Bytes of buffer memory the request holds or will hold until its reply is written. */
    long bufferCost() {
        return type == Command.READ || type == Command.WRITE ? length : 0;
    }

    /** Takes the payload out; the caller now owns it. */
    ByteBuf takePayload() {
        ByteBuf p = payload;
        payload = null;
        return p;
    }

    void releasePayload() {
        ByteBuf p = takePayload();
        if (p != null) {
            p.release();
        }
    }

    @Override
    public String toString() {
        return "NbdRequest{type=" + type + ", flags=" + flags + ", handle=" + handle
                + ", offset=" + Long.toUnsignedString(offset) + ", length=" + length + '}';
    }
}
