package io.raid5d.core.member;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One member of an array: a regular file or a block device, opened exclusively.
 *
 * <p>Positional I/O only; implementations are safe for concurrent use by many threads
 * (each call names its own offset and buffer). Offsets are in bytes from the start of the
 * device, not from the md data offset.
 */
public interface MemberDevice extends Closeable {

    /** The path the member was opened by, for messages. */
    String path();

    /** Size of the device in bytes (BLKGETSIZE64 for block devices). */
    long sizeBytes();

    boolean isBlockDevice();

    boolean isReadOnly();

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code offset}; a short device is an
     * IOException. Like FileChannel, advances {@code dst}'s position to its limit.
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src.remaining()} bytes at {@code offset}, advancing {@code src}'s position to its limit. */
    void write(long offset, ByteBuffer src) throws IOException;

    /**
     * Reads adjacent bytes at {@code offset} into {@code dsts} in order (a scattering read: one
     * request for a run of pages held in separate buffers), advancing each to its limit.
     */
    default void read(long offset, ByteBuffer[] dsts) throws IOException {
        long at = offset;
        for (ByteBuffer b : dsts) {
            int n = b.remaining();
            read(at, b);
            at += n;
        }
    }

    /** Writes {@code srcs} in order as adjacent bytes at {@code offset} (a gathering write), advancing each to its limit. */
    default void write(long offset, ByteBuffer[] srcs) throws IOException {
        long at = offset;
        for (ByteBuffer b : srcs) {
            int n = b.remaining();
            write(at, b);
            at += n;
        }
    }

    /**
     * The file this member's bytes {@code [offset, offset+length)} can be sent from without passing
     * through this process (sendfile or splice to a socket), or null when they cannot: the member
     * bypasses the page cache, is not a plain descriptor (a wrapper, a test device), or part of the
     * range is not in the page cache, so a send would wait on the disk on the sender's thread.
     * Cheap (one system call, nothing read); the caller must not close the channel.
     */
    default FileChannel residentSource(long offset, int length) {
        return null;
    }

    /**
     * True when reading this member's cached pages cannot fail: its data lives in memory (a file
     * in tmpfs or ramfs). Elsewhere a page the kernel holds may be one whose read failed (kept,
     * not up to date, and counted as cached), and reading it again fails again: a read that
     * cannot report an error any more (a reply sent straight from the file) must not risk that.
     */
    default boolean memoryBacked() {
        return false;
    }

    /** Makes every completed write durable (fdatasync / fsync). */
    void sync() throws IOException;

    @Override
    void close() throws IOException;
}
