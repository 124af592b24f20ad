package io.raid5d.core.superblock;

import io.raid5d.core.member.MemberDevice;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Test-only member over a byte array. */
final class TestByteMember implements MemberDevice {
    private final String path;
    private final byte[] bytes;

    TestByteMember(String path, int size) {
        this.path = path;
        this.bytes = new byte[size];
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return bytes.length;
    }

    @Override
    public boolean isBlockDevice() {
        return false;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0 || offset + dst.remaining() > bytes.length) {
            throw new EOFException(path + ": read past the end at byte " + offset);
        }
        dst.put(bytes, (int) offset, dst.remaining());
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (offset < 0 || offset + src.remaining() > bytes.length) {
            throw new IOException(path + ": write past the end at byte " + offset);
        }
        src.get(bytes, (int) offset, src.remaining());
    }

    @Override
    public void sync() {
    }

    @Override
    public void close() {
    }
}
