package io.raid5d.core.crash;

import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Passes I/O through to a real member and journals every completed write and every sync. */
final class RecordingMemberDevice implements MemberDevice {
    private final MemberDevice delegate;
    private final CrashJournal journal;
    private final int device;

    RecordingMemberDevice(MemberDevice delegate, CrashJournal journal, int device) {
        this.delegate = delegate;
        this.journal = journal;
        this.device = device;
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
        byte[] copy = new byte[src.remaining()];
        src.duplicate().get(copy);
        delegate.write(offset, src);
        journal.write(device, offset, copy); // journaled once complete: from here on it may be on disk
    }

    @Override
    public void sync() throws IOException {
        int start = journal.syncStart(device);
        delegate.sync();
        journal.syncDone(device, start);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
