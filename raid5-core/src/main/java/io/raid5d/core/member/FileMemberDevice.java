package io.raid5d.core.member;

import io.raid5d.bitmap.io.ChannelIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.nio.channels.FileLock;

/**
 * A member backed by a {@link FileChannel}: a regular file (held with a {@link FileLock}) or a
 * block device (held with an O_EXCL {@link BlockDeviceClaim}). Opened by
 * {@link MemberDevices#open}.
 *
 * <p>Reads and writes are positional ({@code pread}/{@code pwrite}), loop until the whole
 * buffer is transferred, and advance the buffer's position to its limit, as FileChannel
 * does. I/O must stay inside {@link #sizeBytes()}: a member has a fixed size, so a
 * regular file is never grown by a write.
 *
 * <p>Thread-safe. Caution: FileChannel closes itself when a thread blocked in it is
 * interrupted, which would fail the member; the I/O executor must not interrupt its
 * threads. POSIX record locks vanish when any descriptor of the file in this process is
 * closed, so all I/O to a member file goes through this object.
 */
public final class FileMemberDevice implements MemberDevice {

    private final String path;
    private final FileChannel channel;
    /** The FileLock (regular file) or BlockDeviceClaim (block device) held until close. */
    private final AutoCloseable hold;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long sizeBytes;
    private final boolean blockDevice;
    private final boolean readOnly;
    private final DirectIo direct; // null: buffered (through the page cache)
    private final NativeFile vectored; // null: vectored requests loop over their buffers (members opened for inspection)
    private final boolean memoryBacked;

    FileMemberDevice(String path, FileChannel channel, AutoCloseable hold, long sizeBytes,
                     boolean blockDevice, boolean readOnly) {
        this(path, channel, hold, sizeBytes, blockDevice, readOnly, null, null);
    }

    FileMemberDevice(String path, FileChannel channel, AutoCloseable hold, long sizeBytes,
                     boolean blockDevice, boolean readOnly, DirectIo direct, NativeFile vectored) {
        this(path, channel, hold, sizeBytes, blockDevice, readOnly, direct, vectored, false);
    }

    FileMemberDevice(String path, FileChannel channel, AutoCloseable hold, long sizeBytes,
                     boolean blockDevice, boolean readOnly, DirectIo direct, NativeFile vectored, boolean memoryBacked) {
        this.memoryBacked = memoryBacked;
        this.direct = direct;
        this.vectored = vectored;
        this.path = path;
        this.channel = channel;
        this.hold = hold;
        this.sizeBytes = sizeBytes;
        this.blockDevice = blockDevice;
        this.readOnly = readOnly;
    }

    @Override
    public String path() {
        return path;
    }

    /** The size at open time (BLKGETSIZE64 for block devices, the file length otherwise). */
    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean isBlockDevice() {
        return blockDevice;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange("read", offset, dst.remaining());
        if (direct != null) {
            direct.read(offset, dst);
        } else {
            ChannelIo.readFully(channel, dst, offset, path);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(path + ": opened read-only, cannot write at offset " + offset);
        }
        checkRange("write", offset, src.remaining());
        if (direct != null) {
            direct.write(offset, src);
        } else {
            ChannelIo.writeFully(channel, src, offset);
        }
    }

    @Override
    public void read(long offset, ByteBuffer[] dsts) throws IOException {
        checkRange("read", offset, remaining(dsts));
        if (vectored != null && allDirect(dsts) && (direct == null || direct.aligned(dsts, offset))) {
            vectored.read(offset, dsts);
        } else if (direct != null) {
            direct.read(offset, dsts);
        } else {
            MemberDevice.super.read(offset, dsts);
        }
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) throws IOException {
        if (readOnly) {
            throw new IOException(path + ": opened read-only, cannot write at offset " + offset);
        }
        checkRange("write", offset, remaining(srcs));
        if (vectored != null && allDirect(srcs) && (direct == null || direct.aligned(srcs, offset))) {
            vectored.write(offset, srcs);
        } else if (direct != null) {
            direct.write(offset, srcs);
        } else {
            MemberDevice.super.write(offset, srcs);
        }
    }

    /** The bytes left in {@code bufs}, together. */
    static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    private static boolean allDirect(ByteBuffer[] bufs) {
        for (ByteBuffer b : bufs) {
            if (!b.isDirect()) {
                return false;
            }
        }
        return true;
    }

    /** A regular file on tmpfs or ramfs; decided at open. */
    @Override
    public boolean memoryBacked() {
        return memoryBacked;
    }

    /** Buffered members opened for service only: O_DIRECT ones keep no pages in the cache to send. */
    @Override
    public FileChannel residentSource(long offset, int length) {
        if (direct != null || vectored == null || offset < 0 || offset > sizeBytes - length || closed.get()) {
            return null;
        }
        return vectored.resident(offset, length) ? channel : null;
    }

    @Override
    public void sync() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Release the lock (or claim) before closing the channel a FileLock belongs to.
        IOException failure = null;
        try {
            hold.close();
        } catch (Exception e) {
            failure = new IOException(path + ": releasing the exclusive hold failed", e);
        }
        if (vectored != null) {
            try {
                vectored.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void checkRange(String op, long offset, long length) throws IOException {
        if (offset < 0 || offset > sizeBytes - length) {
            throw new IOException(path + ": " + op + " of " + length + " bytes at offset " + offset
                    + " is outside the device (" + sizeBytes + " bytes)");
        }
    }

    /** Whether member data bypasses the page cache (O_DIRECT). */
    public boolean isDirect() {
        return direct != null;
    }

    @Override
    public String toString() {
        return "FileMemberDevice[" + path + (blockDevice ? ", block device" : ", file") + (direct != null ? ", direct" : "")
                + (readOnly ? ", read-only" : "") + ", " + sizeBytes + " bytes]";
    }
}
