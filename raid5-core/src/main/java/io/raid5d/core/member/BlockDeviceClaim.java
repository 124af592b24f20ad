package io.raid5d.core.member;

import java.io.Closeable;
import java.io.IOException;
import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.LongLongByReference;
import jnr.ffi.types.u_int64_t;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * An exclusive claim on a block device: a file descriptor opened with O_EXCL and kept open
 * while the member is in use, so the kernel refuses other exclusive opens and mounts
 * (mdadm, mkfs, mount, a second raid5d) with EBUSY. Also knows the device size.
 */
final class BlockDeviceClaim implements Closeable {

    /** {@code _IOR(0x12, 114, size_t)}: device size in bytes as a u64. */
    private static final long BLKGETSIZE64 = 0x80081272L;

    /** The few libc calls jnr-posix does not offer. */
    public interface LibC {
        int ioctl(int fd, @u_int64_t long request, @Out LongLongByReference result);
    }

    private static final class Native {
        static final POSIX POSIX = POSIXFactory.getNativePOSIX();
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private final String path;
    private final long sizeBytes;
    // Guarded by this: -1 once closed.
    private int fd;

    private BlockDeviceClaim(String path, int fd, long sizeBytes) {
        this.path = path;
        this.fd = fd;
        this.sizeBytes = sizeBytes;
    }

    /** True when {@code path} (symlinks followed) is a block device. */
    static boolean isBlockDevice(String path) {
        FileStat st = Native.POSIX.allocateStat();
        return Native.POSIX.stat(path, st) == 0 && st.isBlockDev();
    }

    /** Opens {@code path} with O_EXCL and reads its size. */
    static BlockDeviceClaim open(String path, boolean readOnly) throws MemberOpenException {
        POSIX posix = Native.POSIX;
        int flags = (readOnly ? OpenFlags.O_RDONLY.intValue() : OpenFlags.O_RDWR.intValue())
                | OpenFlags.O_EXCL.intValue() | OpenFlags.O_CLOEXEC.intValue();
        int fd = posix.open(path, flags, 0);
        if (fd < 0) {
            int errno = posix.errno();
            throw new MemberOpenException(path, reasonFor(errno), describe(errno));
        }
        LongLongByReference size = new LongLongByReference();
        if (Native.LIBC.ioctl(fd, BLKGETSIZE64, size) != 0) {
            int errno = LastError.getLastError(jnr.ffi.Runtime.getRuntime(Native.LIBC));
            posix.close(fd);
            throw new MemberOpenException(path, MemberOpenException.Reason.IO_ERROR,
                    "BLKGETSIZE64 failed: " + describe(errno));
        }
        return new BlockDeviceClaim(path, fd, size.getValue());
    }

    private static MemberOpenException.Reason reasonFor(int errno) {
        if (errno == Errno.EBUSY.intValue()) {
            return MemberOpenException.Reason.BUSY;
        }
        if (errno == Errno.ENOENT.intValue() || errno == Errno.ENXIO.intValue()) {
            return MemberOpenException.Reason.NOT_FOUND;
        }
        if (errno == Errno.EACCES.intValue() || errno == Errno.EPERM.intValue() || errno == Errno.EROFS.intValue()) {
            return MemberOpenException.Reason.PERMISSION_DENIED;
        }
        return MemberOpenException.Reason.IO_ERROR;
    }

    static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name() + ": " + e.description();
    }

    long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public synchronized void close() throws IOException {
        if (fd < 0) {
            return;
        }
        int closing = fd;
        fd = -1;
        if (Native.POSIX.close(closing) != 0) {
            throw new IOException(path + ": closing the exclusive descriptor failed: " + describe(Native.POSIX.errno()));
        }
    }
}
