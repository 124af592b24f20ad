package io.raid5d.nbd.export;

import io.netty.buffer.ByteBuf;
import java.util.List;
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
 * {@code offset} and {@code length} of every request lie within {@link #size()}; reads and
 * writes are at most {@link #maximumPayload()} long; writes, trims and zeroing never reach a
 * {@link #readOnly()} export; trims and zeroing only reach an export that {@link #canTrim()} /
 * {@link #canWriteZeroes()}. Zero-length requests are answered without calling the export.
 *
 * <h2>Alignment</h2>
 * {@link #minimumBlockSize()} is advertised to clients that ask for block size constraints
 * (NBD_INFO_BLOCK_SIZE in NBD_OPT_GO), and only their requests are held to it. The spec lets
 * a client that never learned the constraints assume a minimum of 1, so every export must
 * still serve any byte offset and length correctly; the advertised minimum is the size below
 * which it would have to read-modify-write.
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

    /**
     * Power of two between 1 and 64 KiB, advertised as the minimum block size. Requests of
     * clients that were told it and are not aligned to it get EINVAL (see "Alignment" above).
     */
    default int minimumBlockSize() {
        return 1;
    }

    /**
     * Power of two, at least {@link #minimumBlockSize()} and at most {@link #maximumPayload()};
     * clients avoid read-modify-write at or above it.
     */
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
     * READ without a copy: the bytes {@code [offset, offset+length)} as slices of files, in
     * order and adding up to {@code length}, which the server sends to the socket as they are
     * behind the reply header (sendfile or splice); or null to have {@link #read} fill a buffer.
     * Asked first for every READ on a connection without TLS (TLS must encrypt, so it copies).
     *
     * <p>Called on the event loop: must not block, nor name file bytes whose reading could (the
     * event loop sends them itself, at once). The files must hold the export's bytes, including
     * every write completed before the call, until the reply has left; the server never closes
     * them. A file that fails mid-send cannot be reported to the client any more (the reply
     * header went first): the server closes the connection and calls {@link #sliceSendFailed}.
     * Default: null.
     */
    default List<FileSlice> readSlices(long offset, int length) {
        return null;
    }

    /**
     * A reply sent from {@link #readSlices}' files failed part way; the connection is closed.
     * The cause may be the client's (it went away) or the file's (an I/O error): an export
     * should read the range the ordinary way so its own error handling sees a failing file.
     * Called on the event loop; must not block. Default: nothing.
     */
    default void sliceSendFailed(long offset, int length, Throwable cause) {}

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

    /** True if {@link #trim} is supported; NBD_FLAG_SEND_TRIM is advertised then. */
    default boolean canTrim() {
        return false;
    }

    /**
     * Discards {@code length} bytes at {@code offset}: afterwards they may read as anything
     * (this export's choice, but the same on every connection). With {@code fua} durable first.
     */
    default CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("trim"));
    }

    /** True if {@link #writeZeroes} is supported; NBD_FLAG_SEND_WRITE_ZEROES is advertised then. */
    default boolean canWriteZeroes() {
        return false;
    }

    /**
     * True if zeroing is faster than writing zeros would be (for example it only drops
     * mappings). Requests with NBD_CMD_FLAG_FAST_ZERO get ENOTSUP at once when this is false.
     */
    default boolean zeroesFast() {
        return false;
    }

    /**
     * Makes {@code length} bytes at {@code offset} read as zeros. {@code mayPunchHole} is false
     * when the client set NBD_CMD_FLAG_NO_HOLE and wants the range to stay allocated.
     */
    default CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("write zeroes"));
    }

    /**
     * NBD_CMD_CACHE: a hint that the client will soon read this range. An export without a
     * cache of its own has nothing to prefetch into and completes at once (the default).
     */
    default CompletableFuture<Void> cache(long offset, long length) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The {@code base:allocation} status of the range: extents in order, starting at
     * {@code offset}, their lengths adding up to at most {@code length} (at least one extent;
     * the server clips anything beyond). The default is honest for exports without holes:
     * one allocated data extent.
     */
    default CompletableFuture<List<Extent>> allocation(long offset, long length) {
        return CompletableFuture.completedFuture(List.of(new Extent(length, 0)));
    }

    /**
     * Called at the end of each burst of requests read from one connection (Netty's
     * channelReadComplete) after at least one request of that burst reached the export.
     * An export that holds back work to batch it (the RAID engine parks stripes that need
     * pre-reads until an unplug so later writes can fill them) should release it here. It is
     * called on the connection's event loop and must not block. Default: nothing to do.
     */
    default void unplug() {}
}
