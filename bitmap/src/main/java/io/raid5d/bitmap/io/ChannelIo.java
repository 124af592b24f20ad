package io.raid5d.bitmap.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional reads and writes that finish the job: a {@link FileChannel} may transfer fewer
 * bytes than asked. Shared by the bitmap file, member devices and the daemon's probe (this module
 * is the lowest one every other depends on).
 */
public final class ChannelIo {
    private ChannelIo() {
    }

    /**
     * Reads until {@code dst} is full, from byte {@code position} on.
     *
     * @param what names the file in the error, e.g. its path
     * @throws EOFException when the file ends first
     */
    public static void readFully(FileChannel channel, ByteBuffer dst, long position, String what) throws IOException {
        long at = position;
        int wanted = dst.remaining();
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new EOFException(what + ": end of file at offset " + at + " while reading " + wanted
                        + " bytes at offset " + position);
            }
            at += n;
        }
    }

    /** Writes all of {@code src} from byte {@code position} on. */
    public static void writeFully(FileChannel channel, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
    }
}
