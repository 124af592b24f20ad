package io.raid5d.core.member.testing;

import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A member that passes every call to another; wrappers override only what they change. */
public abstract class ForwardingMemberDevice implements MemberDevice {
    protected final MemberDevice delegate;

    protected ForwardingMemberDevice(MemberDevice delegate) {
        this.delegate = delegate;
    }

    @Override
    public String path() {
        return delegate.path();
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public boolean isBlockDevice() {
        return delegate.isBlockDevice();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        delegate.write(offset, src);
    }

    @Override
    public void sync() throws IOException {
        delegate.sync();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
