package io.raid5d.nbd.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.function.Supplier;

/**
 * A resolved transport: the event loops and server channel class of one {@link Transport}.
 * Resolving checks that the native library loads and the kernel allows it; the reason it does
 * not is part of the error.
 */
public final class EventLoops {
    private final Transport transport;
    private final Supplier<IoHandlerFactory> handlers;
    private final Class<? extends ServerChannel> serverChannel;

    private EventLoops(Transport transport, Supplier<IoHandlerFactory> handlers, Class<? extends ServerChannel> serverChannel) {
        this.transport = transport;
        this.handlers = handlers;
        this.serverChannel = serverChannel;
    }

    /**
     * Resolves {@code requested}: {@link Transport#AUTO} to epoll where available, else NIO
     * (io_uring is taken only when asked for: container runtimes often forbid it by seccomp,
     * and on sockets it measured no better here, see the README); a named transport to itself.
     *
     * @throws IllegalStateException when a named native transport is unavailable, with why
     */
    public static EventLoops resolve(Transport requested) {
        return switch (requested) {
            case AUTO -> Epoll.isAvailable() ? epoll() : nio();
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw unavailable(requested, Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw unavailable(requested, IoUring.unavailabilityCause());
                }
                yield new EventLoops(Transport.IO_URING, IoUringIoHandler::newFactory, IoUringServerSocketChannel.class);
            }
            case NIO -> nio();
        };
    }

    /** Whether {@code t} can be resolved here (AUTO and NIO always can). */
    public static boolean isAvailable(Transport t) {
        return switch (t) {
            case AUTO, NIO -> true;
            case EPOLL -> Epoll.isAvailable();
            case IO_URING -> IoUring.isAvailable();
        };
    }

    private static EventLoops epoll() {
        return new EventLoops(Transport.EPOLL, EpollIoHandler::newFactory, EpollServerSocketChannel.class);
    }

    private static EventLoops nio() {
        return new EventLoops(Transport.NIO, NioIoHandler::newFactory, NioServerSocketChannel.class);
    }

    private static IllegalStateException unavailable(Transport t, Throwable cause) {
        String why = cause == null ? "unknown reason" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return new IllegalStateException("transport " + t + " is not available here (" + why + "); use --transport auto or nio", cause);
    }

    /** The transport these loops run (never AUTO). */
    public Transport transport() {
        return transport;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    /** A group of {@code threads} event loops (0: Netty's default, twice the cores) named {@code name-N}. */
    public EventLoopGroup group(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name), handlers.get());
    }
}
