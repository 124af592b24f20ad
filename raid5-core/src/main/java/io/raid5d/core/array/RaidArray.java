package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The array as its users (the NBD export adapter, tests) see it: asynchronous byte-addressed
 * reads and writes. This is the seam between the protocol side and the RAID engine; the
 * engine behind it may change (plain per-row locking now, the stripe cache later), this API
 * does not.
 *
 * <p>Buffer ownership: the caller keeps {@code dst}/{@code src} alive and unmodified until the
 * returned future completes; the array never retains a buffer after that and never moves the
 * caller's position or limit. Futures complete on an engine thread, never on the caller's.
 */
public interface RaidArray extends AutoCloseable {

    String name();

    long sizeBytes();

    Geometry geometry();

    /** Fills {@code dst} from its position to its limit with the array bytes at {@code offset}. */
    CompletableFuture<Void> read(long offset, ByteBuffer dst);

    /** Writes {@code src}'s remaining bytes at {@code offset}; with {@code fua} they are durable before completion. */
    CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua);

    /** Completes when every write completed before this call is durable on the members. */
    CompletableFuture<Void> flush();

    /** Discards a range: afterwards it reads as zeros (parity kept consistent). */
    CompletableFuture<Void> trim(long offset, long length);

    /** End of a burst of requests: a hint that queued work should start now. */
    default void unplug() {
    }

    /** A snapshot of the array's state for status reports. */
    ArrayStatus status();

    /** Drains in-flight requests, flushes, records a clean state on the members and closes them. */
    @Override
    void close() throws java.io.IOException;
}
