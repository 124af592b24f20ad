package io.raid5d.core.member;

import io.raid5d.bitmap.io.ChannelIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Positional I/O on a channel opened with O_DIRECT (issue #15): member data bypasses the page
 * cache, as md's does, so the client's cache (or the kernel's above /dev/nbdX) is the only one and
 * FLUSH means what it says. O_DIRECT wants the buffer address, the offset and the length aligned
 * to the device's block size; requests that are (the engine's pages, chunk-sized transfers) go
 * straight to the device, the rest through an aligned bounce buffer per thread (a sub-block
 * write reads the blocks around it first). Thread-safe: the bounce buffers are per thread.
 */
final class DirectIo {

    private final FileChannel channel;
    private final String path;
    private final int align;
    private final ThreadLocal<ByteBuffer> bounce = new ThreadLocal<>();

    DirectIo(FileChannel channel, String path, int align) {
        this.channel = channel;
        this.path = path;
        this.align = align;
    }

    /** The alignment O_DIRECT needs for {@code path}: its file store's block size, at least 4 KiB. */
    static int alignmentFor(Path path) {
        long bs = 4096;
        try {
            bs = Math.max(bs, Files.getFileStore(path).getBlockSize());
        } catch (IOException | UnsupportedOperationException e) {
            // 4 KiB covers 512-byte and 4Kn logical sectors
        }
        if (Long.bitCount(bs) != 1 || bs > 1 << 20) {
            bs = 4096;
        }
        return (int) bs;
    }

    int alignment() {
        return align;
    }

    private boolean aligned(ByteBuffer b, long offset) {
        return b.isDirect() && (offset & (align - 1)) == 0 && (b.remaining() & (align - 1)) == 0
                && b.alignmentOffset(b.position(), align) == 0;
    }

    /** Whether every buffer of a vectored request may go to the device as it is (see {@link NativeFile}). */
    boolean aligned(ByteBuffer[] bufs, long offset) {
        if ((offset & (align - 1)) != 0) {
            return false;
        }
        for (ByteBuffer b : bufs) {
            if (!aligned(b, 0)) {
                return false;
            }
        }
        return true;
    }

    /** A read whose buffers are not all aligned: one device read into the bounce buffer, copied out. */
    void read(long offset, ByteBuffer[] dsts) throws IOException {
        long length = FileMemberDevice.remaining(dsts);
        long start = offset & -align;
        long end = (offset + length + align - 1) & -align;
        ByteBuffer b = bounce((int) (end - start));
        ChannelIo.readFully(channel, b, start, path);
        int at = (int) (offset - start);
        for (ByteBuffer dst : dsts) {
            int n = dst.remaining();
            dst.put(b.limit(at + n).position(at));
            at += n;
        }
    }

    /** A write whose buffers are not all aligned: copied into the bounce buffer, one device write. */
    void write(long offset, ByteBuffer[] srcs) throws IOException {
        long length = FileMemberDevice.remaining(srcs);
        long start = offset & -align;
        long end = (offset + length + align - 1) & -align;
        ByteBuffer b = bounce((int) (end - start));
        if (start != offset || end != offset + length) {
            // a sub-block write: the blocks around it keep their bytes (read, then write back whole)
            ChannelIo.readFully(channel, b, start, path);
            b.clear().limit((int) (end - start));
        }
        b.position((int) (offset - start));
        for (ByteBuffer src : srcs) {
            b.put(src);
        }
        b.clear().limit((int) (end - start));
        ChannelIo.writeFully(channel, b, start);
    }

    void read(long offset, ByteBuffer dst) throws IOException {
        if (aligned(dst, offset)) {
            ChannelIo.readFully(channel, dst, offset, path);
        } else {
            read(offset, new ByteBuffer[] {dst});
        }
    }

    void write(long offset, ByteBuffer src) throws IOException {
        if (aligned(src, offset)) {
            ChannelIo.writeFully(channel, src, offset);
        } else {
            write(offset, new ByteBuffer[] {src});
        }
    }

    /** This thread's aligned bounce buffer, at least {@code bytes} long, cleared to that length. */
    private ByteBuffer bounce(int bytes) {
        ByteBuffer b = bounce.get();
        if (b == null || b.capacity() < bytes) {
            int size = Math.max(bytes, 64 << 10);
            b = ByteBuffer.allocateDirect(size + align).alignedSlice(align);
            bounce.set(b);
        }
        b.clear().limit(bytes);
        return b;
    }
}
