package io.raid5d.nbd.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.ReplyType;
import io.raid5d.nbd.protocol.Wire;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads transmission replies and completes the requests they answer, copying READ data straight
 * into the caller's buffer. Anything that breaks the protocol (bad magic, a handle no request
 * has, data outside its request, a structured reply the client did not agree to, a READ whose
 * chunks do not cover it) fails the connection: after that nothing it says can be trusted.
 * Event-loop confined.
 */
final class ReplyDecoder extends ByteToMessageDecoder {
    private final NbdClient client;
    private final boolean structured;

    ReplyDecoder(NbdClient client, boolean structured) {
        this.client = client;
        this.structured = structured;
        setCumulator(COMPOSITE_CUMULATOR); // READ data is copied once, into the caller's buffer
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.readableBytes() >= 4 && decodeOne(in)) {
                // next reply
            }
        } catch (NbdProtocolException e) {
            in.skipBytes(in.readableBytes());
            client.fail(e);
        }
    }

    private boolean decodeOne(ByteBuf in) throws NbdProtocolException {
        int at = in.readerIndex();
        int magic = in.getInt(at);
        if (magic == Magic.SIMPLE_REPLY) {
            return simple(in, at);
        }
        if (magic == Magic.STRUCTURED_REPLY) {
            if (!structured) {
                throw violation("a structured reply, which was not agreed");
            }
            return chunk(in, at);
        }
        throw violation("bad reply magic 0x" + Integer.toHexString(magic));
    }

    private boolean simple(ByteBuf in, int at) throws NbdProtocolException {
        if (in.readableBytes() < Wire.SIMPLE_REPLY_HEADER) {
            return false;
        }
        int error = in.getInt(at + 4);
        long handle = in.getLong(at + 8);
        Pending p = client.pending(handle);
        if (p == null) {
            throw violation("a reply to handle " + handle + ", which no request in flight has");
        }
        if (structured && p.type == Command.READ && error == 0) {
            throw violation("a simple reply with data to a READ after structured replies were agreed");
        }
        int data = p.type == Command.READ && error == 0 ? p.length : 0;
        if (in.readableBytes() < Wire.SIMPLE_REPLY_HEADER + data) {
            return false;
        }
        in.skipBytes(Wire.SIMPLE_REPLY_HEADER);
        if (data > 0) {
            in.readBytes(p.dst.duplicate());
        }
        client.complete(p, error == 0 ? null : new NbdErrorReply(p.describe(), error, null));
        return true;
    }

    private boolean chunk(ByteBuf in, int at) throws NbdProtocolException {
        if (in.readableBytes() < Wire.STRUCTURED_CHUNK_HEADER) {
            return false;
        }
        int flags = in.getUnsignedShort(at + 4);
        int type = in.getUnsignedShort(at + 6);
        long handle = in.getLong(at + 8);
        long length = in.getUnsignedInt(at + 16);
        Pending p = client.pending(handle);
        if (p == null) {
            throw violation("a reply chunk for handle " + handle + ", which no request in flight has");
        }
        if (length > (long) p.length + 64 + 4096) { // data plus an offset, or an error message
            throw violation("a reply chunk of " + length + " bytes to " + p.describe());
        }
        if (in.readableBytes() < Wire.STRUCTURED_CHUNK_HEADER + length) {
            return false;
        }
        in.skipBytes(Wire.STRUCTURED_CHUNK_HEADER);
        ByteBuf payload = in.readSlice((int) length);
        switch (type) {
            case ReplyType.NONE -> {
                if (length != 0 || (flags & ReplyType.FLAG_DONE) == 0) {
                    throw violation("an NBD_REPLY_TYPE_NONE chunk that is not an empty final chunk");
                }
            }
            case ReplyType.OFFSET_DATA -> data(p, payload);
            case ReplyType.OFFSET_HOLE -> hole(p, payload);
            case ReplyType.ERROR, ReplyType.ERROR_OFFSET -> error(p, type, payload);
            default -> {
                if ((type & (1 << 15)) != 0) { // an error type this client does not know: still an error
                    error(p, ReplyType.ERROR, payload);
                } else {
                    throw violation("a reply chunk of unknown type " + type);
                }
            }
        }
        if ((flags & ReplyType.FLAG_DONE) != 0) {
            if (p.error == null && p.type == Command.READ && p.covered != p.length) {
                throw violation("a READ reply that covers " + p.covered + " of its " + p.length + " bytes");
            }
            client.complete(p, p.error);
        }
        return true;
    }

    private void data(Pending p, ByteBuf payload) throws NbdProtocolException {
        if (p.type != Command.READ || payload.readableBytes() < 9) {
            throw violation("an NBD_REPLY_TYPE_OFFSET_DATA chunk to " + p.describe());
        }
        long offset = payload.readLong();
        int n = payload.readableBytes();
        ByteBuffer into = place(p, offset, n);
        payload.readBytes(into);
        p.covered += n;
    }

    private void hole(Pending p, ByteBuf payload) throws NbdProtocolException {
        if (p.type != Command.READ || payload.readableBytes() != 12) {
            throw violation("an NBD_REPLY_TYPE_OFFSET_HOLE chunk to " + p.describe());
        }
        long offset = payload.readLong();
        long n = payload.readUnsignedInt();
        if (n == 0 || n > p.length) {
            throw violation("a hole of " + n + " bytes in " + p.describe());
        }
        ByteBuffer into = place(p, offset, (int) n);
        while (into.hasRemaining()) {
            into.put((byte) 0);
        }
        p.covered += n;
    }

    private void error(Pending p, int type, ByteBuf payload) throws NbdProtocolException {
        if (payload.readableBytes() < 6) {
            throw violation("an error chunk of " + payload.readableBytes() + " bytes");
        }
        int errno = payload.readInt();
        int messageLength = payload.readUnsignedShort();
        if (errno == 0 || messageLength > payload.readableBytes()) {
            throw violation("a malformed error chunk (errno " + errno + ", message of " + messageLength + " bytes)");
        }
        String message = payload.readCharSequence(messageLength, StandardCharsets.UTF_8).toString();
        if (p.error == null) {
            p.error = new NbdErrorReply(p.describe(), errno, message);
        }
    }

    /** The part of the READ's buffer that {@code [offset, offset+n)} fills; outside the request is a violation. */
    private ByteBuffer place(Pending p, long offset, int n) throws NbdProtocolException {
        if (n <= 0 || offset < p.offset || offset + n > p.offset + p.length) {
            throw violation("data for bytes " + offset + "+" + n + " in the reply to " + p.describe());
        }
        if (!p.claim(offset, n)) {
            throw violation("bytes " + offset + "+" + n + " sent twice in the reply to " + p.describe());
        }
        ByteBuffer into = p.dst.duplicate();
        int from = into.position() + (int) (offset - p.offset);
        return into.limit(from + n).position(from);
    }

    private NbdProtocolException violation(String what) {
        return new NbdProtocolException(client.uri() + " broke the NBD protocol: " + what);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        client.fail(new java.io.IOException("connection to " + client.uri() + " lost"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        client.fail(cause instanceof java.io.IOException io ? io
                : new java.io.IOException("connection to " + client.uri() + " failed: " + cause, cause));
    }
}
