package io.raid5d.nbd;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.raid5d.nbd.buffer.SlabAllocator;
import io.raid5d.nbd.tls.TlsSettings;
import io.raid5d.nbd.transport.Transport;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of an {@link NbdServer}.
 *
 * @param maxOptionLength     longest option payload accepted during haggling; longer closes the connection
 * @param maxInFlightRequests requests per connection read but not yet answered before reading pauses
 * @param maxInFlightBytes    read/write payload bytes per connection in flight before reading pauses
 *                            (one request is always admitted, so a single maximal request still fits)
 * @param ioThreads           Netty event loops serving connections; 0 lets Netty choose (2 x cores)
 * @param drainTimeout        how long {@link NbdServer#close()} waits for in-flight requests
 * @param allocator           buffers for received bytes (hence write payloads) and read replies;
 *                            should prefer direct buffers. The default keeps up to 32 slabs of
 *                            1 MiB (the largest socket read) for reuse: see {@link SlabAllocator}
 * @param maxConnections      connections open at once (haggling or transmitting); more are closed
 *                            at once on accept. 0 = no limit
 * @param handshakeTimeout    a connection that has not entered transmission this long after
 *                            connecting is closed. Zero = no limit
 * @param idleTimeout         a transmitting connection with nothing in flight that sends no request
 *                            for this long is closed. Zero = no limit
 * @param readChunkSize       with structured replies, READ data is sent in chunks of at most this
 *                            many bytes (unless the client set NBD_CMD_FLAG_DF)
 * @param tls                 STARTTLS certificate and mode
 * @param transport           socket transport (epoll, io_uring, NIO, or AUTO: the best available)
 * @param fileReadMinimum     READs at least this long are sent from the export's files when it names
 *                            them ({@link io.raid5d.nbd.export.BlockExport#readSlices}); shorter ones are
 *                            copied: a reply from files costs a header write and a sendfile per slice,
 *                            while copied replies of a burst leave in one gathering write
 */
public record NbdServerConfig(int maxOptionLength, int maxInFlightRequests, long maxInFlightBytes,
                              int ioThreads, Duration drainTimeout, ByteBufAllocator allocator,
                              int maxConnections, Duration handshakeTimeout, Duration idleTimeout,
                              int readChunkSize, TlsSettings tls, Transport transport,
                              int fileReadMinimum) {

    public NbdServerConfig {
        if (maxOptionLength < 0) {
            throw new IllegalArgumentException("maxOptionLength " + maxOptionLength);
        }
        if (maxInFlightRequests < 1) {
            throw new IllegalArgumentException("maxInFlightRequests " + maxInFlightRequests);
        }
        if (maxInFlightBytes < 1) {
            throw new IllegalArgumentException("maxInFlightBytes " + maxInFlightBytes);
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads " + ioThreads);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections " + maxConnections);
        }
        if (readChunkSize < 4096) {
            throw new IllegalArgumentException("readChunkSize " + readChunkSize + " (at least 4096)");
        }
        for (Duration d : new Duration[] {drainTimeout, handshakeTimeout, idleTimeout}) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative timeout " + d);
            }
        }
        Objects.requireNonNull(allocator, "allocator");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(transport, "transport");
        if (fileReadMinimum < 1) {
            throw new IllegalArgumentException("fileReadMinimum " + fileReadMinimum);
        }
    }

    public static NbdServerConfig defaults() {
        return new NbdServerConfig(64 << 10, 256, 128L << 20, 0, Duration.ofSeconds(30),
                new SlabAllocator(PooledByteBufAllocator.DEFAULT, 1 << 20, 32),
                0, Duration.ofSeconds(30), Duration.ZERO, 1 << 20, TlsSettings.none(),
                Transport.fromSystemProperty(), 64 << 10);
    }

    public NbdServerConfig withMaxOptionLength(int v) {
        return new NbdServerConfig(v, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withMaxInFlightRequests(int v) {
        return new NbdServerConfig(maxOptionLength, v, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withMaxInFlightBytes(long v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, v, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withIoThreads(int v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, v, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withAllocator(ByteBufAllocator v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, v,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withDrainTimeout(Duration v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, v, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withMaxConnections(int v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                v, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withHandshakeTimeout(Duration v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, v, idleTimeout, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withIdleTimeout(Duration v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, v, readChunkSize, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withReadChunkSize(int v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, v, tls, transport, fileReadMinimum);
    }

    public NbdServerConfig withTls(TlsSettings v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, v, transport, fileReadMinimum);
    }

    public NbdServerConfig withTransport(Transport v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, v, fileReadMinimum);
    }

    public NbdServerConfig withFileReadMinimum(int v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator,
                maxConnections, handshakeTimeout, idleTimeout, readChunkSize, tls, transport, v);
    }
}
