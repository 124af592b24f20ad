package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Wire;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Frames transmission requests out of the byte stream.
 *
 * <p>Received buffers are queued as components of a composite, never copied; a WRITE's payload
 * is handed on as (a composite of) retained slices of the very buffers it arrived in.
 *
 * <p>Before each request it asks the {@link InFlightBudget}; when that is full it stops decoding
 * and turns autoRead off, so at most one socket read's worth of bytes waits here, and resumes
 * when a reply makes room. After DISC or a drain it decodes nothing more.
 *
 * <p>A bad request magic, or a WRITE longer than the export's maximum payload (whose bytes could
 * not be skipped safely), closes the connection.
 */
final class RequestDecoder extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(RequestDecoder.class.getName());

    private final int maxWritePayload;
    private final InFlightBudget budget;
    private final Runnable resumeTask = this::resume;

    // event-loop confined
    private ChannelHandlerContext ctx;
    private CompositeByteBuf received;
    private boolean paused;
    /**
     * Bytes the next request needs before it can be decoded (a WRITE whose payload is still
     * arriving), so each arriving receive buffer costs one comparison, not a re-parse of the
     * header; 0 when unknown.
     */
    private long needed;
    /** Set after DISC, a drain, or a fatal framing error: all further input is dropped. */
    private boolean stopped;

    RequestDecoder(int maxWritePayload, InFlightBudget budget) {
        this.maxWritePayload = maxWritePayload;
        this.budget = budget;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // No component limit: consolidating would copy the bytes we promise not to copy.
        this.received = ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        // Resume from a fresh task, never from inside the write listener that made room.
        budget.onAvailable(() -> ctx.executor().execute(resumeTask));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseReceived();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopped = true;
        releaseReceived();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (stopped) {
            in.release();
            return;
        }
        received.addComponent(true, in);
        decodeAvailable();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            stop();
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void resume() {
        if (!paused || stopped || !budget.admits()) {
            return;
        }
        paused = false;
        ctx.channel().config().setAutoRead(true);
        if (decodeAvailable() > 0) {
            // The requests just decoded form a burst of their own; end it like a socket read would.
            ctx.fireChannelReadComplete();
        }
    }

    /** Decodes every complete request the budget admits; returns how many. */
    private int decodeAvailable() {
        int decoded = 0;
        while (!stopped) {
            if (!budget.admits()) {
                pause();
                break;
            }
            NbdRequest request = decodeOne();
            if (request == null) {
                break;
            }
            decoded++;
            if (request.type() == Command.DISC) {
                stop(); // the client may send nothing after DISC
            }
            ctx.fireChannelRead(request);
        }
        if (received != null) {
            received.discardReadComponents();
        }
        return decoded;
    }

    private NbdRequest decodeOne() {
        CompositeByteBuf in = received;
        if (in.readableBytes() < Math.max(needed, Wire.REQUEST_HEADER)) {
            return null;
        }
        needed = 0;
        int at = in.readerIndex();
        int magic = in.getInt(at);
        if (magic != Magic.REQUEST) {
            fail("bad request magic 0x" + Integer.toHexString(magic));
            return null;
        }
        int flags = in.getUnsignedShort(at + 4);
        int type = in.getUnsignedShort(at + 6);
        long handle = in.getLong(at + 8);
        long offset = in.getLong(at + 16);
        long length = in.getUnsignedInt(at + 24);
        ByteBuf payload = null;
        if (type == Command.WRITE) {
            if (length > maxWritePayload) {
                fail("write of " + length + " bytes exceeds the maximum payload " + maxWritePayload);
                return null;
            }
            if (in.readableBytes() < Wire.REQUEST_HEADER + length) {
                needed = Wire.REQUEST_HEADER + length;
                return null;
            }
            in.skipBytes(Wire.REQUEST_HEADER);
            payload = takePayload(in, (int) length);
        } else {
            in.skipBytes(Wire.REQUEST_HEADER);
        }
        return new NbdRequest(flags, type, handle, offset, length, payload);
    }

    /** Retained slices of the receive buffers holding the next {@code length} bytes. */
    private ByteBuf takePayload(CompositeByteBuf in, int length) {
        if (length == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        List<ByteBuf> parts = in.decompose(in.readerIndex(), length);
        in.skipBytes(length);
        if (parts.size() == 1) {
            return parts.get(0).retain();
        }
        CompositeByteBuf payload = ctx.alloc().compositeDirectBuffer(parts.size());
        for (ByteBuf part : parts) {
            payload.addComponent(true, part.retain());
        }
        return payload;
    }

    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void stop() {
        stopped = true;
        ctx.channel().config().setAutoRead(false);
        releaseReceived();
    }

    private void fail(String why) {
        LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing: " + why);
        stop();
        ctx.close();
    }

    private void releaseReceived() {
        if (received != null) {
            received.release();
            received = null;
        }
    }
}
