package io.raid5d.nbd.transmission;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.EventExecutor;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.export.FileSlice;
import io.raid5d.nbd.export.NbdErrorException;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.MetaContexts;
import io.raid5d.nbd.protocol.Wire;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * Runs validated requests against the export and writes their replies as the export's futures
 * complete, in completion order. READ replies are simple, or chunked structured replies once
 * those were negotiated; BLOCK_STATUS answers with the export's extents clipped to the request. Owns a WRITE's payload from dispatch until its future completes,
 * then releases it. On DISC (or a drain) it waits for every outstanding request to be answered,
 * then closes the connection.
 */
final class CommandDispatcher extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(CommandDispatcher.class.getName());

    private final BlockExport export;
    private final boolean structured;
    private final int readChunkSize;
    private final ErrorReplies errors;
    /** TLS must encrypt every byte, so reads never go out as file regions on it. */
    private final boolean tls;
    private final int fileReadMinimum;

    // event-loop confined
    private ChannelHandlerContext ctx;
    /** Requests handed to the export whose reply is not yet written. */
    private int outstanding;
    private boolean draining;
    private boolean dispatchedSinceUnplug;

    CommandDispatcher(BlockExport export, Session session, int readChunkSize, int fileReadMinimum) {
        this.fileReadMinimum = fileReadMinimum;
        this.export = export;
        this.structured = session.structuredReplies();
        this.readChunkSize = readChunkSize;
        this.errors = new ErrorReplies(session);
        this.tls = session.tlsActive();
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
            case Command.TRIM, Command.WRITE_ZEROES, Command.CACHE -> rangeCommand(request);
            case Command.BLOCK_STATUS -> blockStatus(request);
            case Command.DISC -> drain();
            default -> { // the validator lets no other command through
                request.releasePayload();
                ctx.writeAndFlush(errors.of(request, Errno.EINVAL, "unknown command"));
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

    private void read(NbdRequest request) {
        int length = (int) request.length();
        if (length == 0) {
            ctx.writeAndFlush(SimpleReply.status(request, Errno.OK));
            return;
        }
        if (!tls && length >= fileReadMinimum && readFromFiles(request, length)) {
            return;
        }
        int room = structured ? Wire.OFFSET_DATA_HEADER : Wire.SIMPLE_REPLY_HEADER;
        int capacity = room + length;
        ByteBuf data = ctx.alloc().ioBuffer(capacity, capacity);
        data.setIndex(room, room); // room for the (first) reply header
        PendingCommand pending = new PendingCommand(request, data, null);
        CompletableFuture<Void> future;
        try {
            future = export.read(request.offset(), length, data);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        start(pending, future);
    }

    /**
     * Answers a READ from the export's file slices, if it names them: the reply is written at
     * once, nothing waits on the export. False to read into a buffer instead.
     */
    private boolean readFromFiles(NbdRequest request, int length) {
        long offset = request.offset();
        List<FileSlice> slices;
        try {
            slices = export.readSlices(offset, length);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "readSlices failed on " + export.name() + "; reading into a buffer", e);
            return false;
        }
        if (slices == null) {
            return false;
        }
        long total = sendableBytes(slices);
        if (total < 0) {
            return false; // a file closed under us (a member removed): the export's read path knows better
        }
        if (total != length) {
            LOG.log(Level.WARNING, () -> export.name() + " named " + total + " bytes of files for " + request
                    + "; reading into a buffer");
            return false;
        }
        boolean dontFragment = (request.flags() & CommandFlags.DF) != 0;
        FileReadReply reply = new FileReadReply(request, slices, structured,
                dontFragment ? Integer.MAX_VALUE : readChunkSize);
        ctx.writeAndFlush(reply).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.log(Level.DEBUG, () -> ctx.channel() + ": sending " + request + " from files failed", f.cause());
                // part of the reply may be out: the stream cannot be framed any more (not every
                // transport closes on a failed write by itself)
                ctx.close();
                try {
                    export.sliceSendFailed(offset, length, f.cause());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "sliceSendFailed failed on " + export.name(), e);
                }
            }
        });
        return true;
    }

    /** The bytes the slices hold, or -1 if one's file is closed. */
    private static long sendableBytes(List<FileSlice> slices) {
        long sum = 0;
        for (FileSlice s : slices) {
            if (!s.file().isOpen()) {
                return -1;
            }
            sum += s.length();
        }
        return sum;
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

    /** TRIM, WRITE_ZEROES, CACHE: a range and flags, no payload, a status reply. */
    private void rangeCommand(NbdRequest request) {
        long offset = request.offset();
        long length = request.length();
        if (length == 0) {
            ctx.writeAndFlush(SimpleReply.status(request, Errno.OK));
            return;
        }
        boolean fua = (request.flags() & CommandFlags.FUA) != 0;
        PendingCommand pending = new PendingCommand(request, null, null);
        CompletableFuture<Void> future;
        try {
            future = switch (request.type()) {
                case Command.TRIM -> export.trim(offset, length, fua);
                case Command.WRITE_ZEROES -> export.writeZeroes(offset, length, fua,
                        (request.flags() & CommandFlags.NO_HOLE) == 0);
                default -> export.cache(offset, length);
            };
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        start(pending, future);
    }

    private void blockStatus(NbdRequest request) {
        PendingCommand pending = new PendingCommand(request, null, null);
        CompletableFuture<List<Extent>> extents;
        try {
            extents = export.allocation(request.offset(), request.length());
        } catch (RuntimeException e) {
            extents = CompletableFuture.failedFuture(e);
        }
        if (extents == null) {
            extents = CompletableFuture.failedFuture(new IllegalStateException("export returned no future"));
        }
        start(pending, extents.thenAccept(list -> pending.extents = list));
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
        Reply reply;
        if (pending.failure != null) {
            if (pending.readData != null) {
                pending.readData.release();
            }
            reply = errors.of(request, errnoOf(pending.failure), String.valueOf(rootCause(pending.failure).getMessage()));
            LOG.log(Level.DEBUG, () -> ctx.channel() + ": " + request + " failed", pending.failure);
        } else if (pending.readData != null) {
            reply = readReply(request, pending.readData);
        } else if (request.type() == Command.BLOCK_STATUS) {
            reply = blockStatusReply(request, pending.extents);
        } else {
            reply = SimpleReply.status(request, Errno.OK);
        }
        ctx.writeAndFlush(reply);
        if (draining && outstanding == 0) {
            closeAfterReplies();
        }
    }

    private Reply readReply(NbdRequest request, ByteBuf data) {
        int room = structured ? Wire.OFFSET_DATA_HEADER : Wire.SIMPLE_REPLY_HEADER;
        if (data.writerIndex() != room + request.length()) {
            // never send a short read: the client would lose framing
            data.release();
            LOG.log(Level.WARNING, () -> export.name() + " filled " + (data.writerIndex() - room)
                    + " of " + request.length() + " bytes for " + request);
            return errors.of(request, Errno.EIO, "short read");
        }
        if (!structured) {
            return SimpleReply.withData(request, data);
        }
        boolean dontFragment = (request.flags() & CommandFlags.DF) != 0;
        return new ReadChunksReply(request, data, dontFragment ? Integer.MAX_VALUE : readChunkSize);
    }

    /**
     * Clips the export's extents to the request (the spec: never past its end), to one extent
     * with REQ_ONE. Extents that do not start a contiguous cover of the request are EIO.
     */
    private Reply blockStatusReply(NbdRequest request, List<Extent> extents) {
        long wanted = request.length();
        boolean one = (request.flags() & CommandFlags.REQ_ONE) != 0;
        List<Extent> clipped = new ArrayList<>(one ? 1 : Math.min(extents == null ? 0 : extents.size(), 1024));
        long covered = 0;
        if (extents != null) {
            for (Extent e : extents) {
                if (covered >= wanted || (one && !clipped.isEmpty())) {
                    break;
                }
                long n = Math.min(e.length(), wanted - covered);
                clipped.add(new Extent(n, e.flags()));
                covered += n;
            }
        }
        if (clipped.isEmpty()) {
            LOG.log(Level.WARNING, () -> export.name() + " reported no extents for " + request);
            return errors.of(request, Errno.EIO, "no allocation information");
        }
        return new BlockStatusReply(request, MetaContexts.BASE_ALLOCATION_ID, clipped);
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
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
        /** BLOCK_STATUS: the export's answer; written and read like {@code failure}. */
        List<Extent> extents;

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
