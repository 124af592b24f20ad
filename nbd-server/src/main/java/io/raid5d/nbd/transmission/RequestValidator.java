package io.raid5d.nbd.transmission;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;

/**
 * Answers requests the export must never see with the spec's error (releasing any payload
 * unwritten) and passes the rest on. After it, every READ/WRITE lies inside the export, is
 * aligned to its minimum block size and no longer than its maximum payload.
 */
final class RequestValidator extends ChannelInboundHandlerAdapter {
    /** FUA is valid on every command once SEND_FUA is advertised; no other flag is negotiated yet. */
    private static final int ACCEPTED_FLAGS = CommandFlags.FUA;

    private final long size;
    private final long maxPayload;
    private final long alignMask;
    private final boolean readOnly;

    RequestValidator(BlockExport export) {
        this.size = export.size();
        this.maxPayload = export.maximumPayload();
        this.alignMask = export.minimumBlockSize() - 1L;
        this.readOnly = export.readOnly();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof NbdRequest request) {
            int error = check(request);
            if (error != Errno.OK) {
                request.releasePayload();
                ctx.writeAndFlush(SimpleReply.status(request, error));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    int check(NbdRequest r) {
        if (r.type() == Command.DISC) {
            return Errno.OK; // never answered, whatever its flags: the decoder has stopped already
        }
        if ((r.flags() & ~ACCEPTED_FLAGS) != 0) {
            return Errno.EINVAL;
        }
        switch (r.type()) {
            case Command.READ:
                return checkData(r);
            case Command.WRITE:
                return readOnly ? Errno.EPERM : checkData(r);
            case Command.FLUSH:
                // offset and length of a flush are reserved and must be zero
                return r.offset() == 0 && r.length() == 0 ? Errno.OK : Errno.EINVAL;
            default:
                return Errno.EINVAL;
        }
    }

    private int checkData(NbdRequest r) {
        long offset = r.offset();
        long length = r.length();
        if (length > maxPayload) {
            return Errno.EINVAL;
        }
        // offset is unsigned on the wire: negative here means beyond 2^63, outside any export
        if (offset < 0 || offset > size || length > size - offset) {
            return Errno.EINVAL;
        }
        if (((offset | length) & alignMask) != 0) {
            return Errno.EINVAL;
        }
        return Errno.OK;
    }
}
