package io.raid5d.nbd.export;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * A byte-addressed block device served over NBD. The server knows nothing else about it.
 *
 * <h2>Threads</h2>
 * Every method is called on a Netty event loop, possibly from several event loops at once
 * (one per connection), and must not block: start the work and return a future. Futures may
 * complete on any thread; the server moves the reply back onto the connection's event loop.
 *
 * <h2>Requests the server already checked</h2>
 * {@code offset} and {@code length} of every {@link #read}/{@link #write} lie within
 * {@link #size()}, {@code length} is at most {@link #maximumPayload()}, {@code offset} and
 * {@code length} are multiples of {@link #minimumBlockSize()}, and writes never reach a
 * {@link #readOnly()} export. Zero-length reads and writes are answered without calling the export.
 *
 * <h2>Errors</h2>
 * Complete a future exceptionally to fail the request: with {@link NbdErrorException} to send
 * its errno, with anything else to send EIO. Exceptions thrown synchronously count the same.
 *
 * <h2>Concurrency</h2>
 * NBD lets requests that are in flight together complete in any order; a client that wants an
 * order waits for replies. Reads must return the newest completed write across connections.
 */
public interface BlockExport {

    /** Export name clients select it by (UTF-8, at most 4096 bytes). */
    String name();

    /** Size in bytes. */
    long size();

    default String description() {
        return "";
    }

    default boolean readOnly() {
        return false;
    }

    /** True if flushes on one connection cover writes completed on every connection to it. */
    default boolean canMultiConn() {
        return false;
    }

    /** Power of two between 1 and 64 KiB; the server rejects requests not aligned to it (EINVAL). */
    default int minimumBlockSize() {
        return 1;
    }

    /** Power of two, at least {@link #minimumBlockSize()}; clients avoid read-modify-write below it. */
    default int preferredBlockSize() {
        return 4096;
    }

    /**
     * Largest read or write length accepted. Longer reads get EINVAL; a longer write closes the
     * connection, since its payload cannot be skipped safely.
     */
    default int maximumPayload() {
        return 32 << 20;
    }

    /**
     * Reads {@code length} bytes at {@code offset} into {@code dst}, advancing its writerIndex by
     * exactly {@code length} before completing. {@code dst} belongs to the server: do not release
     * it, and do not touch it after the future completed (or failed).
     */
    CompletableFuture<Void> read(long offset, int length, ByteBuf dst);

    /**
     * Writes {@code src}'s readable bytes at {@code offset}; if {@code fua}, they are durable
     * before the future completes.
     *
     * <p>{@code src} is the request payload as it arrived from the socket (direct, pooled; it may
     * be a composite of several receive buffers, so read it through the ByteBuf API or
     * {@code nioBuffers()}, never assume a single backing array). The server releases it when the
     * future completes; the export must not release it, and must {@code retain()} it (and later
     * release that reference itself) if it keeps using the bytes after completing the future.
     */
    CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua);

    /** Makes every write completed before this call durable. */
    CompletableFuture<Void> flush();

    /**
     * Called at the end of each burst of requests read from one connection (Netty's
     * channelReadComplete) after at least one request of that burst reached the export.
     * An export that holds back work to batch it (the RAID engine parks stripes that need
     * pre-reads until an unplug so later writes can fill them) should release it here. It is
     * called on the connection's event loop and must not block. Default: nothing to do.
     */
    default void unplug() {}
}
