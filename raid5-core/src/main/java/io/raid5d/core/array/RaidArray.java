package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.FileRange;
import java.util.List;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The array as its users (the NBD export adapter, tests) see it: asynchronous byte-addressed
 * reads and writes. This is the seam between the protocol side and the RAID engine; the
 * engine behind it (the stripe cache, {@code io.raid5d.core.stripe}) may change, this API does not.
 * Every method may be called from a Netty event loop: none blocks (a request that finds the
 * stripe cache full is queued, not waited for on the caller's thread).
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

    /**
     * The array bytes {@code [offset, offset+length)} as ranges of member files, in order, for a
     * server to send as they are (sendfile: no copy through this process), or null when they
     * must be read with {@link #read} (a degraded array; members that are not files in memory,
     * tmpfs or ramfs, since on a disk a cached page may be one whose read failed and the error
     * could not be reported after the reply header; members that bypass the page cache or
     * whose range is not all cached). The ranges hold the bytes of every write completed before
     * the call; send them promptly. Never blocks. Default: null.
     */
    default List<FileRange> fileRanges(long offset, int length) {
        return null;
    }

    /**
     * Reads {@code dst}'s remaining bytes at {@code offset} right now, on the calling thread,
     * when that cannot wait on a disk: every byte is in the page cache of a healthy member in
     * memory (the conditions of {@link #fileRanges}). Saves a small read the hand-off to an I/O
     * thread and back. False when it did not (then {@code dst}'s bytes are undefined: use
     * {@link #read}). Never moves {@code dst}'s position. Default: false.
     */
    default boolean readNow(long offset, ByteBuffer dst) {
        return false;
    }

    /** Writes {@code src}'s remaining bytes at {@code offset}; with {@code fua} they are durable before completion. */
    CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua);

    /**
     * Writes the remaining bytes of {@code srcs}, one after the other, as one request at
     * {@code offset} (an NBD payload that arrived in several receive buffers). Same ownership
     * rules as {@link #write(long, ByteBuffer, boolean)} for every buffer.
     *
     * <p>Sector atomicity: every 512-byte sector the request covers reaches the members whole,
     * old or new, whatever the split of the buffers. So there is deliberately no default that
     * writes each part as its own request: a sector split between two receive buffers would then
     * be written by two requests, possibly in two stripe passes, and a crash between them would
     * leave it torn (issue #13). Decorators must pass the request on as one.
     */
    CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, boolean fua);

    /** Completes when every write completed before this call is durable on the members. */
    CompletableFuture<Void> flush();

    /** Discards a range: afterwards it reads as zeros (parity kept consistent). */
    CompletableFuture<Void> trim(long offset, long length);

    /** End of a burst of requests: a hint that queued work should start now. */
    default void unplug() {
    }

    /**
     * Resizes the stripe cache (md's stripe_cache_size, {@value io.raid5d.core.stripe.StripeEngine#MIN_CACHE}..{@value
     * io.raid5d.core.stripe.StripeEngine#MAX_CACHE} heads of one 4 KiB page per member). Takes effect at once for
     * growth; busy heads are freed as they finish when shrinking. Never blocks on I/O.
     *
     * @throws IllegalArgumentException if {@code stripes} is out of range
     */
    default void setStripeCacheSize(int stripes) {
        throw new UnsupportedOperationException("this array has no stripe cache");
    }

    /** The configured stripe cache size in stripe heads; 0 if the engine has none. */
    default int stripeCacheSize() {
        return 0;
    }

    /** A snapshot of the array's state for status reports. */
    ArrayStatus status();

    /** Drains in-flight requests, flushes, records a clean state on the members and closes them. */
    @Override
    void close() throws java.io.IOException;
}
