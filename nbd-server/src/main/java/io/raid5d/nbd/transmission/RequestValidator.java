package io.raid5d.nbd.transmission;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;

/**
 * Answers requests the export must never see with the spec's error (releasing any payload
 * unwritten) and passes the rest on. After it, every request names a command this connection
 * may use with flags valid for it, lies inside the export, is aligned to the minimum block
 * size if the client agreed to one, is no longer than the maximum payload if it carries data,
 * and changes nothing on a read-only export.
 *
 * <p>Errors: unknown command, a command not advertised, a flag unknown or not valid for the
 * command, out-of-range offset/length, over-long READ, misalignment, BLOCK_STATUS without a
 * selected context, and FLUSH with a non-zero offset or length: EINVAL. Writes, trims and
 * zeroing on a read-only export: EPERM. FAST_ZERO where zeroing is not fast: ENOTSUP.
 */
final class RequestValidator extends ChannelInboundHandlerAdapter {
    private final long size;
    private final long maxPayload;
    private final long alignMask;
    private final boolean readOnly;
    private final boolean canTrim;
    private final boolean canWriteZeroes;
    private final boolean zeroesFast;
    private final boolean structured;
    private final boolean baseAllocation;
    private final ErrorReplies errors;

    RequestValidator(BlockExport export, Session session) {
        this.size = export.size();
        this.maxPayload = export.maximumPayload();
        // only a client that asked for the block size constraints agreed to follow them
        this.alignMask = session.blockSizeAgreed() ? export.minimumBlockSize() - 1L : 0;
        this.readOnly = export.readOnly();
        this.canTrim = export.canTrim();
        this.canWriteZeroes = export.canWriteZeroes();
        this.zeroesFast = export.zeroesFast();
        this.structured = session.structuredReplies();
        this.baseAllocation = session.baseAllocation();
        this.errors = new ErrorReplies(session);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof NbdRequest request) {
            int error = check(request);
            if (error != Errno.OK) {
                request.releasePayload();
                ctx.writeAndFlush(errors.of(request, error, message(error, request)));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    int check(NbdRequest r) {
        int type = r.type();
        if (type == Command.DISC) {
            return Errno.OK; // never answered, whatever its flags: the decoder has stopped already
        }
        if ((r.flags() & ~allowedFlags(type)) != 0) {
            return Errno.EINVAL;
        }
        switch (type) {
            case Command.READ:
                return r.length() > maxPayload ? Errno.EINVAL : checkRange(r);
            case Command.WRITE:
                return readOnly ? Errno.EPERM : r.length() > maxPayload ? Errno.EINVAL : checkRange(r);
            case Command.FLUSH:
                // offset and length of a flush are reserved and must be zero
                return r.offset() == 0 && r.length() == 0 ? Errno.OK : Errno.EINVAL;
            case Command.TRIM:
                return readOnly ? Errno.EPERM : !canTrim ? Errno.EINVAL : checkRange(r);
            case Command.WRITE_ZEROES:
                if (readOnly) {
                    return Errno.EPERM;
                }
                if (!canWriteZeroes) {
                    return Errno.EINVAL;
                }
                int range = checkRange(r);
                if (range != Errno.OK) {
                    return range;
                }
                return (r.flags() & CommandFlags.FAST_ZERO) != 0 && !zeroesFast ? Errno.ENOTSUP : Errno.OK;
            case Command.CACHE:
                return checkRange(r);
            case Command.BLOCK_STATUS:
                return !baseAllocation || r.length() == 0 ? Errno.EINVAL : checkRange(r);
            default:
                return Errno.EINVAL;
        }
    }

    /** FUA is valid on every command once SEND_FUA is advertised (always); the rest per command. */
    private int allowedFlags(int type) {
        return CommandFlags.FUA | switch (type) {
            case Command.READ -> structured ? CommandFlags.DF : 0;
            case Command.WRITE_ZEROES -> CommandFlags.NO_HOLE | CommandFlags.FAST_ZERO;
            case Command.BLOCK_STATUS -> CommandFlags.REQ_ONE;
            default -> 0;
        };
    }

    private int checkRange(NbdRequest r) {
        long offset = r.offset();
        long length = r.length();
        // offset is unsigned on the wire: negative here means beyond 2^63, outside any export
        if (offset < 0 || offset > size || length > size - offset) {
            return Errno.EINVAL;
        }
        if (((offset | length) & alignMask) != 0) {
            return Errno.EINVAL;
        }
        return Errno.OK;
    }

    private static String message(int error, NbdRequest r) {
        return switch (error) {
            case Errno.EPERM -> "the export is read-only";
            case Errno.ENOTSUP -> "zeroing is not faster than writing zeros here";
            default -> "invalid request: " + r;
        };
    }
}
