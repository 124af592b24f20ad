package io.raid5d.daemon.scan;

import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A member opened only to read its metadata, without the lock or O_EXCL claim that
 * {@code MemberDevices.open} takes: scanning must also see members a running array holds.
 * Read-only; never written through.
 */
final class ProbeDevice implements MemberDevice {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final String path;
    private final FileChannel channel;
    private final long size;
    private final boolean block;

    private ProbeDevice(String path, FileChannel channel, long size, boolean block) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.block = block;
    }

    static ProbeDevice open(Path path) throws IOException {
        if (io.raid5d.core.member.MemberDevices.isHeldByThisProcess(path)) {
            // Reading it through a second descriptor and closing that would drop our own lock.
            throw new IOException(path + ": a member of an array this daemon runs");
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        boolean block = (mode & S_IFMT) == S_IFBLK;
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = block ? blockDeviceBytes(path) : ch.size();
            return new ProbeDevice(path.toString(), ch, size, block);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A block device's size from sysfs (in 512-byte sectors there), which needs no ioctl. */
    private static long blockDeviceBytes(Path dev) throws IOException {
        String name = dev.toRealPath().getFileName().toString();
        Path sys = Path.of("/sys/class/block", name, "size");
        return Long.parseLong(Files.readString(sys).strip()) * 512;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public boolean isBlockDevice() {
        return block;
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        io.raid5d.bitmap.io.ChannelIo.readFully(channel, dst, offset, path);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new IOException(path + ": opened for scanning only");
    }

    @Override
    public void sync() {
        // nothing written
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
