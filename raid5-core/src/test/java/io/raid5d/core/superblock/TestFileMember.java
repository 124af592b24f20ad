package io.raid5d.core.superblock;

import io.raid5d.core.member.MemberDevice;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Test-only member over a regular file (positional FileChannel I/O). */
final class TestFileMember implements MemberDevice {
    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;

    private TestFileMember(Path path, FileChannel channel, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
    }

    static TestFileMember open(Path path) throws IOException {
        return new TestFileMember(path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE), false);
    }

    static TestFileMember openReadOnly(Path path) throws IOException {
        return new TestFileMember(path, FileChannel.open(path, StandardOpenOption.READ), true);
    }

    /** Creates (or truncates) a sparse file of {@code bytes} and opens it. */
    static TestFileMember create(Path path, long bytes) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        if (bytes > 0) {
            ch.write(ByteBuffer.allocate(1), bytes - 1);
        }
        return new TestFileMember(path, ch, false);
    }

    @Override
    public String path() {
        return path.toString();
    }

    @Override
    public long sizeBytes() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean isBlockDevice() {
        return false;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        io.raid5d.bitmap.io.ChannelIo.readFully(channel, dst, offset, path.toString());
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        io.raid5d.bitmap.io.ChannelIo.writeFully(channel, src, offset);
    }

    @Override
    public void sync() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
