package io.raid5d.nbd;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
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
 *                            should prefer direct buffers
 */
public record NbdServerConfig(int maxOptionLength, int maxInFlightRequests, long maxInFlightBytes,
                              int ioThreads, Duration drainTimeout, ByteBufAllocator allocator) {

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
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(allocator, "allocator");
    }

    public static NbdServerConfig defaults() {
        return new NbdServerConfig(64 << 10, 256, 128L << 20, 0, Duration.ofSeconds(30), PooledByteBufAllocator.DEFAULT);
    }

    public NbdServerConfig withMaxOptionLength(int v) {
        return new NbdServerConfig(v, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, allocator);
    }

    public NbdServerConfig withMaxInFlightRequests(int v) {
        return new NbdServerConfig(maxOptionLength, v, maxInFlightBytes, ioThreads, drainTimeout, allocator);
    }

    public NbdServerConfig withMaxInFlightBytes(long v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, v, ioThreads, drainTimeout, allocator);
    }

    public NbdServerConfig withIoThreads(int v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, v, drainTimeout, allocator);
    }

    public NbdServerConfig withAllocator(ByteBufAllocator v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, drainTimeout, v);
    }

    public NbdServerConfig withDrainTimeout(Duration v) {
        return new NbdServerConfig(maxOptionLength, maxInFlightRequests, maxInFlightBytes, ioThreads, v, allocator);
    }
}
