package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.export.FileSlice;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.ReplyType;
import io.raid5d.nbd.protocol.Wire;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns each {@link Reply} into exactly one buffer (a composite for chunked reads), or for a
 * {@link FileReadReply} into its headers and file regions, all output of one encode call and so
 * written back to back: replies never interleave on the wire. Read data is never copied:
 * headers are written into room left in front of it, or into small buffers placed between
 * slices of it, or sent ahead of file regions the transport sends from the file itself.
 */
final class ReplyEncoder extends MessageToMessageEncoder<Reply> {

    ReplyEncoder() {
        super(Reply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Reply reply, List<Object> out) {
        if (reply instanceof SimpleReply simple) {
            out.add(simple(ctx, simple));
        } else if (reply instanceof ReadChunksReply read) {
            out.add(readChunks(ctx, read));
        } else if (reply instanceof FileReadReply files) {
            fileRead(ctx, files, out);
        } else if (reply instanceof BlockStatusReply status) {
            out.add(blockStatus(ctx, status));
        } else if (reply instanceof ErrorChunkReply error) {
            out.add(errorChunk(ctx, error));
        }
    }

    private static ByteBuf simple(ChannelHandlerContext ctx, SimpleReply reply) {
        if (reply.hasData()) {
            ByteBuf data = reply.content();
            data.setInt(0, Magic.SIMPLE_REPLY);
            data.setInt(4, reply.error());
            data.setLong(8, reply.handle());
            data.readerIndex(0);
            return data.retain(); // the encoder releases the reply itself after encode
        }
        return ctx.alloc().ioBuffer(Wire.SIMPLE_REPLY_HEADER)
                .writeInt(Magic.SIMPLE_REPLY)
                .writeInt(reply.error())
                .writeLong(reply.handle());
    }

    private static ByteBuf readChunks(ChannelHandlerContext ctx, ReadChunksReply reply) {
        ByteBuf data = reply.content();
        int length = data.writerIndex() - Wire.OFFSET_DATA_HEADER;
        int chunk = reply.chunkSize();
        if (length <= chunk) {
            writeOffsetDataHeader(data, 0, ReplyType.FLAG_DONE, reply.handle(), length, reply.offset());
            data.readerIndex(0);
            return data.retain();
        }
        int chunks = (length + chunk - 1) / chunk;
        CompositeByteBuf message = ctx.alloc().compositeDirectBuffer(2 * chunks);
        // first chunk: header in the room in front of the data
        writeOffsetDataHeader(data, 0, 0, reply.handle(), chunk, reply.offset());
        message.addComponent(true, data.retainedSlice(0, Wire.OFFSET_DATA_HEADER + chunk));
        for (int done = chunk; done < length; done += chunk) {
            int n = Math.min(chunk, length - done);
            ByteBuf header = ctx.alloc().ioBuffer(Wire.OFFSET_DATA_HEADER);
            writeOffsetDataHeader(header, 0, done + n == length ? ReplyType.FLAG_DONE : 0, reply.handle(), n,
                    reply.offset() + done);
            header.writerIndex(Wire.OFFSET_DATA_HEADER);
            message.addComponent(true, header);
            message.addComponent(true, data.retainedSlice(Wire.OFFSET_DATA_HEADER + done, n));
        }
        return message;
    }

    /** Header, then regions; structured: per chunk a header, then the regions of that chunk's bytes. */
    private static void fileRead(ChannelHandlerContext ctx, FileReadReply reply, List<Object> out) {
        if (!reply.structured()) {
            out.add(ctx.alloc().ioBuffer(Wire.SIMPLE_REPLY_HEADER)
                    .writeInt(Magic.SIMPLE_REPLY).writeInt(0).writeLong(reply.handle()));
            for (FileSlice s : reply.slices()) {
                out.add(new SliceRegion(s.file(), s.position(), s.length()));
            }
            return;
        }
        int length = reply.length();
        int chunk = reply.chunkSize();
        List<FileSlice> slices = reply.slices();
        int slice = 0;
        int usedOfSlice = 0;
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk, length - done);
            ByteBuf header = ctx.alloc().ioBuffer(Wire.OFFSET_DATA_HEADER);
            writeOffsetDataHeader(header, 0, done + n == length ? ReplyType.FLAG_DONE : 0, reply.handle(), n,
                    reply.offset() + done);
            header.writerIndex(Wire.OFFSET_DATA_HEADER);
            out.add(header);
            for (int left = n; left > 0; ) {
                FileSlice s = slices.get(slice);
                int take = Math.min(left, s.length() - usedOfSlice);
                out.add(new SliceRegion(s.file(), s.position() + usedOfSlice, take));
                left -= take;
                usedOfSlice += take;
                if (usedOfSlice == s.length()) {
                    slice++;
                    usedOfSlice = 0;
                }
            }
            done += n;
        }
    }

    private static void writeOffsetDataHeader(ByteBuf buf, int at, int flags, long handle, int dataLength, long offset) {
        buf.setInt(at, Magic.STRUCTURED_REPLY);
        buf.setShort(at + 4, flags);
        buf.setShort(at + 6, ReplyType.OFFSET_DATA);
        buf.setLong(at + 8, handle);
        buf.setInt(at + 16, 8 + dataLength);
        buf.setLong(at + 20, offset);
    }

    private static ByteBuf blockStatus(ChannelHandlerContext ctx, BlockStatusReply reply) {
        List<Extent> extents = reply.extents();
        int payload = Wire.BLOCK_STATUS_CONTEXT_ID + Wire.BLOCK_DESCRIPTOR * extents.size();
        ByteBuf buf = ctx.alloc().ioBuffer(Wire.STRUCTURED_CHUNK_HEADER + payload);
        chunkHeader(buf, ReplyType.FLAG_DONE, ReplyType.BLOCK_STATUS, reply.handle(), payload);
        buf.writeInt(reply.contextId());
        for (Extent e : extents) {
            buf.writeInt((int) e.length()).writeInt(e.flags());
        }
        return buf;
    }

    private static ByteBuf errorChunk(ChannelHandlerContext ctx, ErrorChunkReply reply) {
        byte[] message = reply.message().getBytes(StandardCharsets.UTF_8);
        int payload = 4 + 2 + message.length;
        ByteBuf buf = ctx.alloc().ioBuffer(Wire.STRUCTURED_CHUNK_HEADER + payload);
        chunkHeader(buf, ReplyType.FLAG_DONE, ReplyType.ERROR, reply.handle(), payload);
        return buf.writeInt(reply.error()).writeShort(message.length).writeBytes(message);
    }

    private static void chunkHeader(ByteBuf buf, int flags, int type, long handle, int length) {
        buf.writeInt(Magic.STRUCTURED_REPLY).writeShort(flags).writeShort(type).writeLong(handle).writeInt(length);
    }
}
