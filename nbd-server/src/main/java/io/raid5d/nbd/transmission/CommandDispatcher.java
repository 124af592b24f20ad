package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.EventExecutor;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.NbdErrorException;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.Wire;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * Runs validated requests against the export and writes their replies as the export's futures
 * complete, in completion order. Owns a WRITE's payload from dispatch until its future completes,
 * then releases it. On DISC (or a drain) it waits for every outstanding request to be answered,
 * then closes the connection.
 */
final class CommandDispatcher extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(CommandDispatcher.class.getName());

    private final BlockExport export;

    // event-loop confined
    private ChannelHandlerContext ctx;
    /** Requests handed to the export whose reply is not yet written. */
    private int outstanding;
    private boolean draining;
    private boolean dispatchedSinceUnplug;

    CommandDispatcher(BlockExport export) {
        this.export = export;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof NbdRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        switch (request.type()) {
            case Command.READ -> read(request);
            case Command.WRITE -> write(request);
            case Command.FLUSH -> flush(request);
            case Command.DISC -> drain();
            default -> { // the validator lets no other command through
                request.releasePayload();
                ctx.writeAndFlush(SimpleReply.status(request, Errno.EINVAL));
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (dispatchedSinceUnplug) {
            dispatchedSinceUnplug = false;
            try {
                export.unplug();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "unplug failed on " + export.name(), e);
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            drain();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.DEBUG, () -> ctx.channel() + ": closing after error", cause);
        ctx.close();
    }

    private void read(NbdRequest request) {
        int length = (int) request.length();
        if (length == 0) {
            ctx.writeAndFlush(SimpleReply.status(request, Errno.OK));
            return;
        }
        int capacity = Wire.SIMPLE_REPLY_HEADER + length;
        ByteBuf data = ctx.alloc().ioBuffer(capacity, capacity);
        data.setIndex(Wire.SIMPLE_REPLY_HEADER, Wire.SIMPLE_REPLY_HEADER); // room for the reply header
        PendingCommand pending = new PendingCommand(request, data, null);
        CompletableFuture<Void> future;
        try {
            future = export.read(request.offset(), length, data);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        start(pending, future);
    }

    private void write(NbdRequest request) {
        ByteBuf payload = request.takePayload();
        if (payload.readableBytes() == 0) {
            payload.release();
            ctx.writeAndFlush(SimpleReply.status(request, Errno.OK));
            return;
        }
        boolean fua = (request.flags() & CommandFlags.FUA) != 0;
        PendingCommand pending = new PendingCommand(request, null, payload);
        CompletableFuture<Void> future;
        try {
            future = export.write(request.offset(), payload, fua);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        start(pending, future);
    }

    private void flush(NbdRequest request) {
        PendingCommand pending = new PendingCommand(request, null, null);
        CompletableFuture<Void> future;
        try {
            future = export.flush();
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        start(pending, future);
    }

    private void start(PendingCommand pending, CompletableFuture<Void> future) {
        outstanding++;
        dispatchedSinceUnplug = true;
        if (future == null) {
            future = CompletableFuture.failedFuture(new IllegalStateException("export returned no future"));
        }
        future.whenComplete(pending);
    }

    /** Runs on the event loop once the export finished {@code pending}. */
    private void complete(PendingCommand pending) {
        outstanding--;
        NbdRequest request = pending.request;
        if (pending.payload != null) {
            pending.payload.release();
        }
        SimpleReply reply;
        if (pending.failure != null) {
            if (pending.readData != null) {
                pending.readData.release();
            }
            reply = SimpleReply.status(request, errnoOf(pending.failure));
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": " + request + " failed", pending.failure);
        } else if (pending.readData != null) {
            ByteBuf data = pending.readData;
            if (data.writerIndex() != Wire.SIMPLE_REPLY_HEADER + request.length()) {
                // never send a short read: the client would lose framing
                data.release();
                LOG.log(Level.WARNING, () -> export.name() + " filled " + (data.writerIndex() - Wire.SIMPLE_REPLY_HEADER)
                        + " of " + request.length() + " bytes for " + request);
                reply = SimpleReply.status(request, Errno.EIO);
            } else {
                reply = SimpleReply.withData(request, data);
            }
        } else {
            reply = SimpleReply.status(request, Errno.OK);
        }
        ctx.writeAndFlush(reply);
        if (draining && outstanding == 0) {
            closeAfterReplies();
        }
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        if (outstanding == 0) {
            closeAfterReplies();
        }
    }

    /** Writes are ordered, so once this empty write is done every earlier reply is on the wire. */
    private void closeAfterReplies() {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    static int errnoOf(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NbdErrorException e && e.errno() != Errno.OK) {
            return e.errno();
        }
        return Errno.EIO;
    }

    /**
     * A request the export is working on. It is its own completion callback and its own event
     * loop task, so completing a request allocates nothing more.
     */
    private final class PendingCommand implements BiConsumer<Void, Throwable>, Runnable {
        final NbdRequest request;
        /** READ: reply buffer the export fills. */
        final ByteBuf readData;
        /** WRITE: payload, released when the export completes. */
        final ByteBuf payload;
        /** Written by the completing thread, read on the event loop (ordered by execute()). */
        Throwable failure;

        PendingCommand(NbdRequest request, ByteBuf readData, ByteBuf payload) {
            this.request = request;
            this.readData = readData;
            this.payload = payload;
        }

        @Override
        public void accept(Void ignored, Throwable failure) {
            this.failure = failure;
            EventExecutor loop = ctx.executor();
            if (loop.inEventLoop()) {
                run();
                return;
            }
            try {
                loop.execute(this);
            } catch (RejectedExecutionException e) {
                // event loop already gone (forced shutdown): nobody can be answered, free the buffers
                if (payload != null) {
                    payload.release();
                }
                if (readData != null) {
                    readData.release();
                }
            }
        }

        @Override
        public void run() {
            complete(this);
        }
    }
}
