package io.raid5d.nbd.export;

import java.nio.channels.FileChannel;

/**
 * Export bytes as they lie in a file: {@code length} bytes at {@code position} of {@code file},
 * which the server sends to the socket without copying them through the JVM (sendfile or
 * splice, by transport). The export owns the channel; the server never closes it.
 */
public record FileSlice(FileChannel file, long position, int length) {
    public FileSlice {
        if (file == null || position < 0 || length <= 0) {
            throw new IllegalArgumentException("bad file slice: " + file + " at " + position + ", " + length + " bytes");
        }
    }
}
