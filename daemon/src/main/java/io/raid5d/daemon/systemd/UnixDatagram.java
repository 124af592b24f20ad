package io.raid5d.daemon.systemd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * A Unix-domain datagram socket through libc (Java 17's NIO has only stream Unix sockets).
 * Addresses are paths, or abstract names written with a leading '@' as systemd does.
 * Used to send sd_notify messages; tests bind one to play systemd's part.
 *
 * <p>Not thread-safe for concurrent close; send and receive may run on different threads.
 */
public final class UnixDatagram implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SUN_PATH_BYTES = 108;

    /** The libc calls used; errno is saved for messages. */
    public interface LibC {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int bind(int fd, @In byte[] addr, int addrLen);

        @SaveError
        long sendto(int fd, @In byte[] buf, long len, int flags, @In byte[] addr, int addrLen);

        @SaveError
        long recv(int fd, @Out byte[] buf, long len, int flags);

        @SaveError
        int setsockopt(int fd, int level, int name, @In byte[] value, int len);

        int close(int fd);

        String strerror(int errno);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private final int fd;
    private volatile boolean closed;

    private UnixDatagram(int fd) {
        this.fd = fd;
    }

    /** An unbound socket for sending. */
    public static UnixDatagram open() throws IOException {
        int fd = Holder.LIBC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw error("socket(AF_UNIX, SOCK_DGRAM)");
        }
        return new UnixDatagram(fd);
    }

    /** A socket bound to {@code address} (a path or '@'-prefixed abstract name), for receiving. */
    public static UnixDatagram bind(String address) throws IOException {
        UnixDatagram s = open();
        byte[] addr = sockaddr(address);
        if (Holder.LIBC.bind(s.fd, addr, addr.length) < 0) {
            IOException e = error("bind(" + address + ")");
            s.close();
            throw e;
        }
        return s;
    }

    public void send(String address, String message) throws IOException {
        byte[] addr = sockaddr(address);
        byte[] data = message.getBytes(StandardCharsets.UTF_8);
        long n = Holder.LIBC.sendto(fd, data, data.length, 0, addr, addr.length);
        if (n < 0) {
            throw error("sendto(" + address + ")");
        }
    }

    /**
     * Waits for one datagram for at most {@code timeoutMillis}; returns null when none came.
     * (A bound on how long a test waits, not an assertion about time.)
     */
    public String receive(int maxBytes, long timeoutMillis) throws IOException {
        byte[] tv = new byte[16]; // struct timeval {long tv_sec; long tv_usec;} on 64-bit Linux
        java.nio.ByteBuffer.wrap(tv).order(java.nio.ByteOrder.nativeOrder())
                .putLong(timeoutMillis / 1000).putLong(timeoutMillis % 1000 * 1000);
        if (Holder.LIBC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length) < 0) {
            throw error("setsockopt(SO_RCVTIMEO)");
        }
        byte[] buf = new byte[maxBytes];
        long n = Holder.LIBC.recv(fd, buf, buf.length, 0);
        if (n < 0) {
            int errno = Runtime.getSystemRuntime().getLastError();
            if (errno == 11 || errno == 4) { // EAGAIN: timed out; EINTR
                return null;
            }
            throw new IOException("recv: " + Holder.LIBC.strerror(errno));
        }
        return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** struct sockaddr_un: family, then the path (NUL-terminated) or abstract name (leading NUL, no terminator). */
    static byte[] sockaddr(String address) {
        boolean isAbstract = address.startsWith("@");
        byte[] name = (isAbstract ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        int pathBytes = isAbstract ? 1 + name.length : name.length + 1;
        if (name.length == 0 || pathBytes > SUN_PATH_BYTES) {
            throw new IllegalArgumentException("not a usable Unix socket address: '" + address + "'");
        }
        byte[] addr = new byte[2 + pathBytes];
        java.nio.ByteBuffer.wrap(addr).order(java.nio.ByteOrder.nativeOrder()).putShort((short) AF_UNIX);
        System.arraycopy(name, 0, addr, isAbstract ? 3 : 2, name.length);
        return addr;
    }

    private static IOException error(String what) {
        int errno = Runtime.getSystemRuntime().getLastError();
        return new IOException(what + ": " + Holder.LIBC.strerror(errno));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Holder.LIBC.close(fd);
        }
    }
}
