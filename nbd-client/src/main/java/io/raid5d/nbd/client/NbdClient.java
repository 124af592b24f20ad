package io.raid5d.nbd.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Wire;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * One connection to one NBD export, in transmission. Thread-safe: any thread may submit
 * requests, which go out in one write each (header and payload together, so requests from
 * different threads never interleave) and complete on the connection's event loop, in whatever
 * order the server answers. Requests longer than the server's maximum payload are split.
 *
 * <p>Failure: a broken connection, a protocol violation, or a request unanswered for the
 * request timeout fails every request in flight and every later one; the connection is then
 * closed for good (reconnecting is the caller's choice: a new client).
 */
public final class NbdClient implements Closeable {
    private static final System.Logger LOG = System.getLogger(NbdClient.class.getName());

    /** Client event loops, shared by every connection of the process; daemon threads, made on first use. */
    private static EventLoopGroup group;

    private final NbdUri uri;
    private final ClientSettings settings;
    private final Channel channel;
    private final ExportInfo export;
    private final AtomicLong handles = new AtomicLong(1);
    /** Requests sent and not yet answered, by handle. Put by submitters, removed by the event loop or {@link #fail}. */
    private final Map<Long, Pending> inFlight = new ConcurrentHashMap<>();
    /** Why the connection ended; null while it serves. Set once. */
    private volatile IOException failure;
    private final ScheduledFuture<?> timeoutCheck;

    private NbdClient(NbdUri uri, ClientSettings settings, Channel channel, ExportInfo export) {
        this.uri = uri;
        this.settings = settings;
        this.channel = channel;
        this.export = export;
        long period = Math.max(50, Math.min(1000, settings.requestTimeout().toMillis() / 4));
        this.timeoutCheck = settings.requestTimeout().isZero() ? null
                : channel.eventLoop().scheduleAtFixedRate(this::checkTimeouts, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects and haggles; returns once transmission can start.
     *
     * @throws IOException saying why not: unreachable, refused, no such export, TLS refused or
     *                     not trusted, not an NBD server, or no answer within the connect timeout
     */
    public static NbdClient connect(NbdUri uri, ClientSettings settings) throws IOException {
        SslContext tls = uri.tls() ? clientTls(uri) : null;
        CompletableFuture<ExportInfo> handshake = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(group())
                .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("haggler", new Haggler(uri, tls, handshake));
                    }
                });
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        ChannelFuture connecting = bootstrap.connect(uri.host(), uri.port());
        if (!connecting.awaitUninterruptibly(settings.connectTimeout().toMillis())) {
            connecting.channel().close();
            throw new IOException("cannot connect to " + uri + ": no answer within " + settings.connectTimeout().toSeconds() + " s");
        }
        if (!connecting.isSuccess()) {
            throw new IOException("cannot connect to " + uri + ": " + connecting.cause().getMessage(), connecting.cause());
        }
        Channel channel = connecting.channel();
        ExportInfo info;
        try {
            info = handshake.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            channel.close();
            throw new IOException(uri + ": the handshake did not finish within " + settings.connectTimeout().toSeconds() + " s");
        } catch (ExecutionException e) {
            channel.close();
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(uri + ": handshake failed: " + cause, cause);
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + uri, e);
        }
        NbdClient client = new NbdClient(uri, settings, channel, info);
        // requests from many threads arrive as separate flushes: sent together, one system call per burst, not per request
        // (at the tail: under TLS the batch is encrypted as one)
        channel.pipeline().addLast("replies", new ReplyDecoder(client, info.structured()));
        channel.pipeline().addLast("flushes", new FlushConsolidationHandler(64, true));
        if (!channel.isActive()) {
            client.fail(new IOException("connection to " + uri + " lost"));
        }
        return client;
    }

    private static synchronized EventLoopGroup group() {
        if (group == null) {
            // epoll where Netty's native library loads (x86_64 Linux), else NIO
            group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("nbd-client", true),
                    Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        }
        return group;
    }

    /** TLS for nbds://: the CA of tls-certificates= (else the JVM's), this client's certificate when there is one, and the host checked. */
    private static SslContext clientTls(NbdUri uri) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2").endpointIdentificationAlgorithm("HTTPS");
        if (uri.certificates().isPresent()) {
            Path dir = uri.certificates().get();
            if (!Files.isDirectory(dir)) {
                throw new IOException(uri + ": tls-certificates " + dir + " is not a directory");
            }
            Path ca = dir.resolve("ca-cert.pem");
            Path cert = dir.resolve("client-cert.pem");
            Path key = dir.resolve("client-key.pem");
            try {
                if (Files.exists(ca)) {
                    builder.trustManager(ca.toFile());
                }
                if (Files.exists(cert) != Files.exists(key)) {
                    throw new IOException(uri + ": " + dir + " has one of client-cert.pem and client-key.pem, not both");
                }
                if (Files.exists(cert)) {
                    builder.keyManager(cert.toFile(), key.toFile());
                }
            } catch (IllegalArgumentException e) {
                throw new IOException(uri + ": cannot use the certificates in " + dir + ": " + e.getMessage(), e);
            }
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IOException(uri + ": TLS setup failed: " + e.getMessage(), e);
        }
    }

    public NbdUri uri() {
        return uri;
    }

    public ExportInfo export() {
        return export;
    }

    /** The request timeout in whole seconds, rounded up; 0 when requests never time out. */
    public long requestTimeoutSeconds() {
        long ms = settings.requestTimeout().toMillis();
        return (ms + 999) / 1000;
    }

    /** False once the connection failed or was closed. */
    public boolean isOpen() {
        return failure == null;
    }

    /** Why the connection ended, or null. */
    public IOException failure() {
        return failure;
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst} (its position does not move). */
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return split(Command.READ, 0, offset, dst);
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; the buffer must stay unchanged until the future completes. */
    public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
        if (export.readOnly()) {
            return CompletableFuture.failedFuture(new IOException(uri + " is read-only"));
        }
        return split(Command.WRITE, fua && export.canFua() ? CommandFlags.FUA : 0, offset, src);
    }

    /** Makes completed writes durable; done at once when the server has no FLUSH (its writes are durable when answered). */
    public CompletableFuture<Void> flush() {
        return export.canFlush() ? send(Command.FLUSH, 0, 0, 0, null) : CompletableFuture.completedFuture(null);
    }

    /** Writes zeros over the range (NBD_CMD_WRITE_ZEROES, not punching holes). */
    public CompletableFuture<Void> writeZeroes(long offset, int length) {
        if (!export.canWriteZeroes()) {
            return CompletableFuture.failedFuture(new IOException(uri + " cannot write zeroes"));
        }
        return send(Command.WRITE_ZEROES, CommandFlags.NO_HOLE, offset, length, null);
    }

    private CompletableFuture<Void> split(int type, int flags, long offset, ByteBuffer buffer) {
        int length = buffer.remaining();
        int max = export.maximumPayload();
        if (length <= max) {
            return send(type, flags, offset, length, buffer.slice());
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int done = 0; done < length; done += max) {
            int n = Math.min(max, length - done);
            parts.add(send(type, flags, offset + done, n, buffer.slice(buffer.position() + done, n)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> send(int type, int flags, long offset, int length, ByteBuffer data) {
        if (length > 0 && (offset % export.minimumBlock() != 0 || length % export.minimumBlock() != 0)) {
            return CompletableFuture.failedFuture(new IOException(commandName(type) + " of " + length + " bytes at " + offset
                    + " is not in whole blocks of " + export.minimumBlock() + " bytes, as " + uri + " requires"));
        }
        if (offset < 0 || offset + length > export.size()) {
            return CompletableFuture.failedFuture(new IOException(commandName(type) + " of " + length + " bytes at " + offset
                    + " is beyond the end of " + uri + " (" + export.size() + " bytes)"));
        }
        long handle = handles.getAndIncrement();
        Pending p = new Pending(handle, type, offset, length, type == Command.READ ? data : null, System.nanoTime());
        inFlight.put(handle, p);
        IOException failed = failure;
        if (failed != null) { // failed before or while we registered: fail() may have missed this one
            if (inFlight.remove(handle) != null) {
                p.future.completeExceptionally(failed);
            }
            return p.future;
        }
        // a direct header: a composite with a heap part would make the socket copy the whole payload too
        ByteBuf header = channel.alloc().directBuffer(Wire.REQUEST_HEADER).writeInt(Magic.REQUEST).writeShort(flags).writeShort(type)
                .writeLong(handle).writeLong(offset).writeInt(length);
        ByteBuf message = type == Command.WRITE ? Unpooled.wrappedBuffer(header, Unpooled.wrappedBuffer(data)) : header;
        channel.writeAndFlush(message).addListener(f -> {
            if (!f.isSuccess()) {
                fail(new IOException("cannot send to " + uri + ": " + f.cause().getMessage(), f.cause()));
            }
        });
        return p.future;
    }

    Pending pending(long handle) {
        return inFlight.get(handle);
    }

    /** The reply decoder finished a request. Event loop. */
    void complete(Pending p, IOException error) {
        inFlight.remove(p.handle);
        if (error == null) {
            p.future.complete(null);
        } else {
            p.future.completeExceptionally(error);
        }
    }

    /** Ends the connection: every request in flight, and every later one, fails with {@code why}. Any thread. */
    void fail(IOException why) {
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = why;
        }
        if (timeoutCheck != null) {
            timeoutCheck.cancel(false);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> uri + ": connection ended: " + why.getMessage());
        channel.close();
        for (Long handle : List.copyOf(inFlight.keySet())) {
            Pending p = inFlight.remove(handle);
            if (p != null) {
                p.future.completeExceptionally(why);
            }
        }
    }

    /** Event loop, periodically: the oldest unanswered request past the timeout ends the connection. */
    private void checkTimeouts() {
        long limit = settings.requestTimeout().toNanos();
        long now = System.nanoTime();
        for (Pending p : inFlight.values()) {
            if (now - p.sentNanos > limit) {
                fail(new IOException(uri + ": no reply to " + p.describe() + " within "
                        + settings.requestTimeout().toMillis() / 1000.0 + " s"));
                return;
            }
        }
    }

    /** Requests sent and not answered yet. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Sends NBD_CMD_DISC after the requests in flight and closes; requests after it fail. */
    @Override
    public void close() {
        if (failure != null) {
            channel.close();
            return;
        }
        if (channel.isActive()) {
            ByteBuf disc = Unpooled.buffer(Wire.REQUEST_HEADER).writeInt(Magic.REQUEST).writeShort(0).writeShort(Command.DISC)
                    .writeLong(0).writeLong(0).writeInt(0);
            channel.writeAndFlush(disc);
        }
        fail(new IOException("connection to " + uri + " closed"));
        channel.closeFuture().awaitUninterruptibly(1000);
    }

    static String commandName(int type) {
        return switch (type) {
            case Command.READ -> "READ";
            case Command.WRITE -> "WRITE";
            case Command.FLUSH -> "FLUSH";
            case Command.TRIM -> "TRIM";
            case Command.WRITE_ZEROES -> "WRITE_ZEROES";
            default -> "command " + type;
        };
    }
}
