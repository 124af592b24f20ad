package io.raid5d.nbd;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.handshake.Negotiation;
import io.raid5d.nbd.lifecycle.DrainEvent;
import io.raid5d.nbd.transport.EventLoops;
import io.raid5d.nbd.transport.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An NBD server (fixed newstyle handshake; simple or structured replies; STARTTLS) for the
 * exports of an {@link ExportRegistry}, on the Netty transport the config names (epoll, io_uring,
 * NIO). {@link #start} binds; {@link #close}
 * stops accepting, lets in-flight requests finish and be answered, closes the connections and
 * the event loops. Connections beyond {@link NbdServerConfig#maxConnections()} are closed as
 * soon as they are accepted.
 */
public final class NbdServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());

    private final NbdServerConfig config;
    private final Negotiation negotiation;

    // guarded by this
    private EventLoopGroup acceptor;
    private EventLoopGroup workers;
    private Channel serverChannel;
    private ChannelGroup connections;
    private boolean started;
    private Transport transport;
    /** Set before connections are drained: connections registering afterwards close at once. */
    private volatile boolean closing;
    /** Connections accepted and not yet closed; changed on event loops. */
    private final AtomicInteger openConnections = new AtomicInteger();

    public NbdServer(ExportRegistry registry, NbdServerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.negotiation = new Negotiation(Objects.requireNonNull(registry, "registry"), config);
    }

    /**
     * Binds and starts serving. Port 0 picks a free port.
     *
     * @return the address actually bound
     */
    public synchronized InetSocketAddress start(InetSocketAddress bindAddress) {
        if (started) {
            throw new IllegalStateException("server already started");
        }
        started = true;
        EventLoops loops = EventLoops.resolve(config.transport());
        transport = loops.transport();
        acceptor = loops.group(1, "nbd-accept");
        workers = loops.group(config.ioThreads(), "nbd-io");
        connections = new DefaultChannelGroup("nbd-connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, config.allocator())
                // socket reads of up to 1 MiB (Netty's default stops at 64 KiB): a 1 MiB WRITE
                // arrives in a few receive buffers, not 16 or more, with as many fewer syscalls
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 16 << 10, 1 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        if (closing) {
                            ch.close();
                            return;
                        }
                        int open = openConnections.incrementAndGet();
                        ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                        if (config.maxConnections() > 0 && open > config.maxConnections()) {
                            LOG.log(System.Logger.Level.INFO, "refusing " + ch.remoteAddress() + ": "
                                    + config.maxConnections() + " connections already open");
                            ch.close();
                            return;
                        }
                        negotiation.install(ch.pipeline());
                    }
                });
        ChannelFuture bound = bootstrap.bind(bindAddress).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            shutDownEventLoops();
            throw new IllegalStateException("cannot bind NBD server to " + bindAddress, bound.cause());
        }
        serverChannel = bound.channel();
        InetSocketAddress local = (InetSocketAddress) serverChannel.localAddress();
        LOG.log(System.Logger.Level.INFO, "NBD server listening on " + local + " (transport " + transport
                + (config.transport() == Transport.AUTO ? ", chosen automatically" : "") + ")");
        return local;
    }

    /** The transport the server runs on (never AUTO), or null before {@link #start}. */
    public synchronized Transport transport() {
        return transport;
    }

    /** Connections open now (haggling or transmitting). */
    public int openConnections() {
        return openConnections.get();
    }

    /**
     * Exceptions that reached a connection's error guard without being the peer's doing:
     * bugs. Each closed its connection and was logged as a warning.
     */
    public long unexpectedErrors() {
        return negotiation.unexpectedErrors();
    }

    /** The bound address, or null before {@link #start}. */
    public synchronized InetSocketAddress localAddress() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Stops accepting, asks every connection to drain (answer what is in flight, then close),
     * waits up to the configured drain timeout, closes what is left and stops the event loops.
     * Blocks; must not be called from an event loop. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (serverChannel == null || closing) {
            return; // never started, failed to bind, or closed already
        }
        for (EventExecutor loop : workers) {
            if (loop.inEventLoop()) {
                throw new IllegalStateException("NbdServer.close() would block an event loop");
            }
        }
        closing = true;
        serverChannel.close().awaitUninterruptibly();
        List<Future<?>> closed = new ArrayList<>();
        for (Channel connection : connections) {
            connection.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
            closed.add(connection.closeFuture());
        }
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        for (Future<?> f : closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "NBD connections did not drain in " + config.drainTimeout() + "; closing them");
                break;
            }
        }
        connections.close().awaitUninterruptibly();
        shutDownEventLoops();
    }

    private void shutDownEventLoops() {
        Future<?> a = acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        Future<?> w = workers.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        a.awaitUninterruptibly();
        w.awaitUninterruptibly();
    }
}
