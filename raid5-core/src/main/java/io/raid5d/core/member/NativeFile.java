package io.raid5d.core.member;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A descriptor for vectored positional I/O ({@code preadv}/{@code pwritev}): one system call
 * moves a merged run of adjacent pages held in separate buffers (issue #15: member requests as
 * large as the layout allows, without copying them together). Java's FileChannel has no
 * positional scatter/gather, hence libc through jnr-ffi. Opened with O_DIRECT when the member's
 * data bypasses the page cache; the caller then passes only aligned buffers.
 *
 * <p>Thread-safe: each call names its offset and buffers; the iovec array is per thread. The
 * descriptor is opened and closed by the owning {@link FileMemberDevice} (closing any descriptor
 * of a file drops this process's POSIX lock on it, so it is closed only when the member is).
 */
final class NativeFile implements Closeable {
    /** Linux's IOV_MAX: the most segments one call takes. */
    static final int IOV_MAX = 1024;
    private static final int IOVEC_BYTES = 16;
    /** Linux's O_DIRECT, which jnr-constants lacks: 040000 on x86 and most ports, 0200000 on arm64. */
    private static final int O_DIRECT = System.getProperty("os.arch").equals("aarch64") ? 0200000 : 040000;

    /** The libc calls jnr-posix does not offer. */
    public interface LibC {
        int open(String path, int flags, int mode);

        long preadv(int fd, Pointer iov, int iovcnt, long offset);

        long pwritev(int fd, Pointer iov, int iovcnt, long offset);

        int close(int fd);

        /** cachestat(2) and any other call glibc has no wrapper for; integer arguments only. */
        long syscall(long number, int fd, Pointer range, Pointer stat, int flags);
    }

    /** cachestat(2)'s number in the generic table, which x86_64 and arm64 share (Linux 6.5). */
    private static final long SYS_CACHESTAT = 451;
    private static final int PAGE = 4096;
    /** Cleared for good when the kernel has no cachestat (older than 6.5, or a seccomp filter refuses it). */
    private static volatile boolean cachestatWorks = true;

    private static final class Native {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private final String path;
    /** Per thread: cachestat's range (2 x u64) and its answer (5 x u64), allocated once. */
    private static final ThreadLocal<Pointer[]> CACHESTAT_ARGS = ThreadLocal.withInitial(() -> {
        Pointer both = Memory.allocateDirect(Native.RUNTIME, 16 + 40);
        return new Pointer[] {both, both.slice(16)};
    });
    private final ThreadLocal<Pointer> iovecs = ThreadLocal.withInitial(
            () -> Memory.allocateDirect(Native.RUNTIME, IOV_MAX * IOVEC_BYTES));
    // -1 once closed; written under this, read by I/O threads (an I/O racing close gets EBADF)
    private volatile int fd;

    private NativeFile(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens {@code path} for reading (and writing unless {@code readOnly}), with O_DIRECT when {@code direct}. */
    static NativeFile open(String path, boolean readOnly, boolean direct) throws IOException {
        int flags = (readOnly ? OpenFlags.O_RDONLY.intValue() : OpenFlags.O_RDWR.intValue()) | OpenFlags.O_CLOEXEC.intValue()
                | (direct ? O_DIRECT : 0);
        int fd = Native.LIBC.open(path, flags, 0);
        if (fd < 0) {
            throw new IOException(path + ": open for vectored I/O failed: " + BlockDeviceClaim.describe(lastErrno()));
        }
        return new NativeFile(path, fd);
    }

    /** Fills {@code dsts} in order from {@code offset} on; advances each buffer's position to its limit. */
    void read(long offset, ByteBuffer[] dsts) throws IOException {
        transfer(offset, dsts, false);
    }

    /** Writes {@code srcs} in order from {@code offset} on; advances each buffer's position to its limit. */
    void write(long offset, ByteBuffer[] srcs) throws IOException {
        transfer(offset, srcs, true);
    }

    private void transfer(long offset, ByteBuffer[] bufs, boolean write) throws IOException {
        Pointer iov = iovecs.get();
        long at = offset;
        int first = 0;
        while (first < bufs.length) {
            if (!bufs[first].hasRemaining()) {
                first++;
                continue;
            }
            int count = 0;
            long wanted = 0;
            for (int i = first; i < bufs.length && count < IOV_MAX; i++) {
                ByteBuffer b = bufs[i];
                if (!b.isDirect()) {
                    throw new IllegalArgumentException("vectored I/O needs direct buffers");
                }
                iov.putLong((long) count * IOVEC_BYTES, Pointer.wrap(Native.RUNTIME, b).address());
                iov.putLong((long) count * IOVEC_BYTES + 8, b.remaining());
                wanted += b.remaining();
                count++;
            }
            long n = write ? Native.LIBC.pwritev(fd, iov, count, at) : Native.LIBC.preadv(fd, iov, count, at);
            if (n < 0) {
                int errno = lastErrno();
                if (errno == Errno.EINTR.intValue()) {
                    continue;
                }
                throw new IOException(path + ": " + (write ? "pwritev" : "preadv") + " of " + wanted + " bytes at offset "
                        + at + " failed: " + BlockDeviceClaim.describe(errno));
            }
            if (n == 0 && !write) {
                throw new EOFException(path + ": end of file at offset " + at + " while reading " + wanted + " bytes");
            }
            at += n;
            // advance past what moved; a short transfer goes on from the partly done buffer
            for (int i = first; n > 0; i++) {
                ByteBuffer b = bufs[i];
                int step = (int) Math.min(n, b.remaining());
                b.position(b.position() + step);
                n -= step;
            }
        }
    }

    /**
     * Whether every page of {@code [offset, offset+length)} is in the page cache now (cachestat(2):
     * one system call, no data moved). False when the kernel cannot say; then it never asks again.
     */
    boolean resident(long offset, long length) {
        if (!cachestatWorks || length <= 0) {
            return false;
        }
        Pointer[] args = CACHESTAT_ARGS.get();
        Pointer range = args[0];
        Pointer answer = args[1];
        range.putLong(0, offset);
        range.putLong(8, length);
        long r = Native.LIBC.syscall(SYS_CACHESTAT, fd, range, answer, 0);
        if (r != 0) {
            int errno = lastErrno();
            if (errno == Errno.ENOSYS.intValue() || errno == Errno.EPERM.intValue()) {
                cachestatWorks = false;
                System.getLogger(NativeFile.class.getName()).log(System.Logger.Level.INFO,
                        "cachestat(2) is not available (" + BlockDeviceClaim.describe(errno)
                                + "): array reads are sent from a buffer, not straight from member files");
            }
            return false;
        }
        long pages = (offset + length - 1) / PAGE - offset / PAGE + 1;
        return answer.getLong(0) >= pages;
    }

    private static int lastErrno() {
        return LastError.getLastError(Native.RUNTIME);
    }

    @Override
    public synchronized void close() throws IOException {
        int closing = fd;
        if (closing < 0) {
            return;
        }
        fd = -1;
        if (Native.LIBC.close(closing) != 0) {
            throw new IOException(path + ": closing the vectored-I/O descriptor failed: " + BlockDeviceClaim.describe(lastErrno()));
        }
    }
}
