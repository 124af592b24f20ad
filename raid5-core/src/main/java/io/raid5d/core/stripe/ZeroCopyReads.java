package io.raid5d.core.stripe;

import io.raid5d.core.member.FileRange;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Array reads a server can send straight from the member files (issue #16): one range per chunk
 * the read touches, in array order. Only where that returns what a copying read would:
 * <ul>
 *   <li>the array is not degraded (a lost page is computed, not read), and every member is
 *       readable for the range;</li>
 *   <li>every member is buffered and holds the whole range in the page cache now, so sending it
 *       waits on no disk (the sender is an event loop) and the bytes come from memory;</li>
 *   <li>every member is memory-backed (tmpfs, ramfs): on a disk a cached page may be one whose
 *       read failed (cachestat counts it), and reading it again goes to the disk: for
 *       {@link #ranges} after the reply header, where the error cannot be reported; for
 *       {@link #readNow} on the event loop, which must not wait out a failing disk's
 *       timeouts.</li>
 * </ul>
 * The stripe cache is not consulted: a write is acknowledged only after its member writes
 * ended, so a member file holds every acknowledged write, and a head's newer page belongs to a
 * write still in flight, which a read may see either way (NBD leaves overlapping requests in
 * flight unordered). Engine writes that a client did not ask for (read-error repair, the
 * unchanged pages of a full-row write) write bytes equal to what is there.
 *
 * <p>Thread-safe and lock-free: it reads the geometry and the members' health only.
 */
final class ZeroCopyReads {
    private final MemberSet members;
    private final Geometry geometry;
    private final StripeMetrics metrics;

    ZeroCopyReads(MemberSet members, StripeMetrics metrics) {
        this.members = members;
        this.geometry = members.geometry();
        this.metrics = metrics;
    }

    /**
     * Reads {@code dst}'s remaining bytes at {@code offset} right here, from the page cache, if
     * {@link #ranges} names them: no hand-off to an I/O thread and back, which costs a small read
     * more than the copy. False when it cannot (nothing useful is in {@code dst} then; read the
     * usual way, whose error handling also covers a member that failed this read).
     */
    boolean readNow(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        List<FileRange> ranges = locate(offset, length);
        if (ranges == null) {
            return false;
        }
        ByteBuffer view = dst.duplicate();
        int at = view.position();
        try {
            for (FileRange r : ranges) {
                view.limit(at + r.length()).position(at);
                long pos = r.position();
                while (view.hasRemaining()) {
                    int n = r.file().read(view, pos);
                    if (n <= 0) {
                        return false;
                    }
                    pos += n;
                }
                at += r.length();
            }
        } catch (IOException e) {
            return false;
        }
        metrics.readNowBytes.increment(length);
        return true;
    }

    /**
     * The ranges for {@code [offset, offset+length)}, or null when any part must be read another
     * way. Only memory-backed members ({@link MemberDevice#memoryBacked}): a server sends the
     * ranges after the reply header, when a read error can no longer be reported, and on a disk
     * a cached page may be one whose read failed, which fails again.
     */
    List<FileRange> ranges(long offset, int length) {
        List<FileRange> out = locate(offset, length);
        if (out != null) {
            metrics.zeroCopyBytes.increment(length);
        }
        return out;
    }

    private boolean allMemoryBacked() {
        for (int role = 0; role < members.count(); role++) {
            MemberDevice d = members.member(role);
            if (d == null || !d.memoryBacked()) {
                return false;
            }
        }
        return true;
    }

    /** The member file ranges of the bytes, or null unless every condition of the class comment holds. */
    private List<FileRange> locate(long offset, int length) {
        if (members.degraded() || members.failed() || !allMemoryBacked()) {
            return null;
        }
        long chunkBytes = geometry.chunkBytes();
        int dataDisks = geometry.dataDisks();
        List<FileRange> out = new ArrayList<>((int) Math.min(16, length / chunkBytes + 2));
        int done = 0;
        while (done < length) {
            long at = offset + done;
            long chunk = at / chunkBytes;
            int inChunk = (int) (at - chunk * chunkBytes);
            long row = chunk / dataDisks;
            int member = geometry.dataMember(row, (int) (chunk - row * dataDisks));
            int n = (int) Math.min(length - done, chunkBytes - inChunk);
            long address = members.rowAddress(member, row) + inChunk;
            MemberDevice device = members.member(member);
            long endSector = (row * chunkBytes + inChunk + n + 511) / 512; // in the member's data area
            if (device == null || !members.readable(member, endSector)) {
                return null;
            }
            FileChannel file = device.residentSource(address, n);
            if (file == null) {
                return null;
            }
            out.add(new FileRange(file, address, n));
            done += n;
        }
        return out;
    }
}
