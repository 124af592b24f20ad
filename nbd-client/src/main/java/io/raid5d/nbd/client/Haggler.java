package io.raid5d.nbd.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.Wire;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client's side of the handshake, as a decoder on the connection's event loop: greeting,
 * client flags, NBD_OPT_STARTTLS (nbds://), NBD_OPT_STRUCTURED_REPLY, then NBD_OPT_GO asking
 * for block sizes (NBD_OPT_EXPORT_NAME when the server does not know GO). Completes
 * {@link #done} with what the server said of the export, or fails it with why; then leaves the
 * pipeline to the reply decoder. Event-loop confined.
 */
final class Haggler extends ByteToMessageDecoder {
    /** Option reply: magic(8) option(4) type(4) length(4). */
    private static final int OPTION_REPLY_HEADER = 20;
    /** Longest option reply accepted: our options' replies are short. */
    private static final int MAX_OPTION_REPLY = 64 << 10;

    private enum State { GREETING, STARTTLS, TLS_HANDSHAKE, STRUCTURED_REPLY, GO, EXPORT_NAME, DONE }

    private final NbdUri uri;
    private final SslContext tls;
    private final CompletableFuture<ExportInfo> done;
    private State state = State.GREETING;
    private boolean noZeroes;
    private boolean structured;
    private long size = -1;
    private int flags;
    private int minimumBlock = 1;
    private int preferredBlock = 4096;
    private int maximumPayload = Wire.DEFAULT_MAXIMUM_PAYLOAD;

    Haggler(NbdUri uri, SslContext tls, CompletableFuture<ExportInfo> done) {
        this.uri = uri;
        this.tls = tls;
        this.done = done;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (state != State.DONE && state != State.TLS_HANDSHAKE && !done.isDone()) {
                if (!step(ctx, in)) {
                    return;
                }
            }
        } catch (NbdProtocolException e) {
            fail(ctx, e);
        }
    }

    /** Consumes one message when whole; false when more bytes are needed. */
    private boolean step(ChannelHandlerContext ctx, ByteBuf in) throws NbdProtocolException {
        if (state == State.GREETING) {
            if (in.readableBytes() < 18) {
                return false;
            }
            long magic = in.readLong();
            long second = in.readLong();
            if (magic != Magic.NBDMAGIC) {
                throw new NbdProtocolException(uri + " is not an NBD server (greeting 0x" + Long.toHexString(magic) + ")");
            }
            if (second != Magic.IHAVEOPT) {
                throw new NbdProtocolException(uri + " speaks the old-style NBD handshake, which has no export names; newstyle is needed");
            }
            int serverFlags = in.readUnsignedShort();
            if ((serverFlags & HandshakeFlags.FIXED_NEWSTYLE) == 0) {
                throw new NbdProtocolException(uri + " does not offer fixed newstyle negotiation");
            }
            noZeroes = (serverFlags & HandshakeFlags.NO_ZEROES) != 0;
            ctx.write(ctx.alloc().buffer(4).writeInt(HandshakeFlags.CLIENT_FIXED_NEWSTYLE
                    | (noZeroes ? HandshakeFlags.CLIENT_NO_ZEROES : 0)));
            if (tls != null) {
                sendOption(ctx, Option.STARTTLS, null);
                state = State.STARTTLS;
            } else {
                askStructuredReplies(ctx);
            }
            return true;
        }
        if (state == State.EXPORT_NAME) {
            int need = 10 + (noZeroes ? 0 : Wire.EXPORT_NAME_PADDING);
            if (in.readableBytes() < need) {
                return false;
            }
            size = in.readLong();
            flags = in.readUnsignedShort();
            in.skipBytes(need - 10);
            finish(ctx);
            return true;
        }
        if (in.readableBytes() < OPTION_REPLY_HEADER) {
            return false;
        }
        int at = in.readerIndex();
        long magic = in.getLong(at);
        int option = in.getInt(at + 8);
        int type = in.getInt(at + 12);
        long length = in.getUnsignedInt(at + 16);
        if (magic != Magic.OPTION_REPLY) {
            throw new NbdProtocolException(uri + ": bad option reply magic 0x" + Long.toHexString(magic));
        }
        if (length > MAX_OPTION_REPLY) {
            throw new NbdProtocolException(uri + ": option reply of " + length + " bytes");
        }
        if (in.readableBytes() < OPTION_REPLY_HEADER + length) {
            return false;
        }
        in.skipBytes(OPTION_REPLY_HEADER);
        ByteBuf data = in.readSlice((int) length);
        if (option != expectedOption()) {
            throw new NbdProtocolException(uri + ": reply to option " + option + " while waiting for " + expectedOption());
        }
        reply(ctx, type, data);
        return true;
    }

    private int expectedOption() {
        return switch (state) {
            case STARTTLS -> Option.STARTTLS;
            case STRUCTURED_REPLY -> Option.STRUCTURED_REPLY;
            case GO -> Option.GO;
            default -> -1;
        };
    }

    private void reply(ChannelHandlerContext ctx, int type, ByteBuf data) throws NbdProtocolException {
        boolean error = (type & OptionReplyType.ERROR) != 0;
        switch (state) {
            case STARTTLS -> {
                if (error) {
                    throw new NbdProtocolException(uri + " refused TLS (" + replyName(type) + message(data)
                            + "): use nbd:// if it serves in clear");
                }
                requireAck(type);
                startTls(ctx);
            }
            case STRUCTURED_REPLY -> {
                if (!error) {
                    requireAck(type);
                }
                structured = !error; // without them, simple replies serve as well
                askGo(ctx);
            }
            case GO -> {
                if (type == OptionReplyType.ERR_UNSUP) {
                    exportName(ctx);
                } else if (error) {
                    throw new NbdProtocolException(uri + ": the server refused export '" + uri.export() + "': "
                            + replyName(type) + message(data));
                } else if (type == OptionReplyType.INFO) {
                    info(data);
                } else {
                    requireAck(type);
                    if (size < 0) {
                        throw new NbdProtocolException(uri + ": NBD_OPT_GO ended without the export's size");
                    }
                    finish(ctx);
                }
            }
            default -> throw new NbdProtocolException(uri + ": unexpected option reply in state " + state);
        }
    }

    private void info(ByteBuf data) throws NbdProtocolException {
        if (data.readableBytes() < 2) {
            throw new NbdProtocolException(uri + ": empty NBD_REP_INFO");
        }
        int info = data.readUnsignedShort();
        if (info == InfoType.EXPORT) {
            if (data.readableBytes() != 10) {
                throw new NbdProtocolException(uri + ": NBD_INFO_EXPORT of " + (data.readableBytes() + 2) + " bytes");
            }
            size = data.readLong();
            flags = data.readUnsignedShort();
        } else if (info == InfoType.BLOCK_SIZE) {
            if (data.readableBytes() != 12) {
                throw new NbdProtocolException(uri + ": NBD_INFO_BLOCK_SIZE of " + (data.readableBytes() + 2) + " bytes");
            }
            long min = data.readUnsignedInt();
            long preferred = data.readUnsignedInt();
            long max = data.readUnsignedInt();
            if (min < 1 || min > 65536 || Long.bitCount(min) != 1 || preferred < min || max < min) {
                throw new NbdProtocolException(uri + ": nonsensical block sizes " + min + "/" + preferred + "/" + max);
            }
            minimumBlock = (int) min;
            preferredBlock = (int) Math.min(preferred, Integer.MAX_VALUE);
            maximumPayload = (int) Math.min(max, Wire.DEFAULT_MAXIMUM_PAYLOAD);
        }
        // other information (name, description) is not needed
    }

    private void startTls(ChannelHandlerContext ctx) {
        state = State.TLS_HANDSHAKE;
        SslHandler handler = tls.newHandler(ctx.alloc(), uri.host(), uri.port());
        ctx.pipeline().addFirst("tls", handler);
        handler.handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                fail(ctx, new NbdProtocolException("TLS handshake with " + uri + " failed: " + f.cause().getMessage()));
            } else if (!done.isDone()) {
                // what was negotiated before TLS does not count: structured replies are asked for now
                askStructuredReplies(ctx);
            }
        });
    }

    private void askStructuredReplies(ChannelHandlerContext ctx) {
        sendOption(ctx, Option.STRUCTURED_REPLY, null);
        state = State.STRUCTURED_REPLY;
    }

    private void askGo(ChannelHandlerContext ctx) {
        byte[] name = uri.export().getBytes(StandardCharsets.UTF_8);
        ByteBuf data = ctx.alloc().buffer(4 + name.length + 4);
        data.writeInt(name.length).writeBytes(name).writeShort(1).writeShort(InfoType.BLOCK_SIZE);
        sendOption(ctx, Option.GO, data);
        state = State.GO;
    }

    private void exportName(ChannelHandlerContext ctx) {
        sendOption(ctx, Option.EXPORT_NAME, ctx.alloc().buffer().writeBytes(uri.export().getBytes(StandardCharsets.UTF_8)));
        structured = false; // a server without GO: keep to simple replies
        state = State.EXPORT_NAME;
    }

    private void sendOption(ChannelHandlerContext ctx, int option, ByteBuf data) {
        int length = data == null ? 0 : data.readableBytes();
        ByteBuf header = ctx.alloc().buffer(Wire.OPTION_HEADER).writeLong(Magic.IHAVEOPT).writeInt(option).writeInt(length);
        ctx.write(header);
        if (data != null) {
            ctx.write(data);
        }
        ctx.flush();
    }

    private void finish(ChannelHandlerContext ctx) {
        state = State.DONE;
        ctx.pipeline().remove(this);
        done.complete(new ExportInfo(size, flags, minimumBlock, preferredBlock, maximumPayload, structured));
    }

    private void requireAck(int type) throws NbdProtocolException {
        if (type != OptionReplyType.ACK) {
            throw new NbdProtocolException(uri + ": expected an ACK, got option reply type " + type);
        }
    }

    private void fail(ChannelHandlerContext ctx, Throwable why) {
        state = State.DONE;
        done.completeExceptionally(why);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        done.completeExceptionally(new NbdProtocolException(uri + " closed the connection during the handshake"
                + (state == State.STARTTLS || state == State.TLS_HANDSHAKE ? " (TLS: is this client's certificate accepted?)" : "")));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    private static String message(ByteBuf data) {
        return data.isReadable() ? ": " + data.toString(StandardCharsets.UTF_8) : "";
    }

    private static String replyName(int type) {
        return switch (type) {
            case OptionReplyType.ERR_UNSUP -> "unsupported";
            case OptionReplyType.ERR_POLICY -> "refused by policy";
            case OptionReplyType.ERR_INVALID -> "invalid";
            case OptionReplyType.ERR_TLS_REQD -> "TLS required (use nbds://)";
            case OptionReplyType.ERR_UNKNOWN -> "no such export";
            case OptionReplyType.ERR_SHUTDOWN -> "server shutting down";
            case OptionReplyType.ERR_BLOCK_SIZE_REQD -> "block sizes required";
            default -> "error 0x" + Integer.toHexString(type);
        };
    }
}
