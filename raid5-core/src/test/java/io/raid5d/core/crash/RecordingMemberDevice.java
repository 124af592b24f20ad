package io.raid5d.core.crash;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.testing.ForwardingMemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Passes I/O through to a real member and journals every completed write and every sync. */
final class RecordingMemberDevice extends ForwardingMemberDevice {
    private final CrashJournal journal;
    private final int device;

    RecordingMemberDevice(MemberDevice delegate, CrashJournal journal, int device) {
        super(delegate);
        this.journal = journal;
        this.device = device;
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
}
