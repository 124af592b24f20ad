package io.raid5d.nbd.export;

/**
 * Fails a request with a specific NBD error value (see {@code io.raid5d.nbd.protocol.Errno}),
 * for example ENOSPC. Any other failure of an export future is reported as EIO.
 */
public class NbdErrorException extends RuntimeException {
    private final int errno;

    public NbdErrorException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public NbdErrorException(int errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
