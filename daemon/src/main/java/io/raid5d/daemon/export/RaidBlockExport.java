package io.raid5d.daemon.export;

import io.netty.buffer.ByteBuf;
import io.raid5d.core.array.ArrayRangeException;
import io.raid5d.core.member.FileRange;
import io.raid5d.core.array.RaidArray;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.export.FileSlice;
import io.raid5d.nbd.export.NbdErrorException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Serves a RAID array as an NBD export: the only place where the protocol side meets the
 * engine. NBD payload buffers are handed to the array as NIO views, without copying; the NBD
 * server keeps them alive until the returned future completes.
 *
 * <p>Block sizes: the engine serves any byte offset and length, so clients that never asked
 * for block sizes may send anything. Clients that ask are told a minimum of 512, the logical
 * sector md arrays present (the array says so, over a default of 4096: libnbd clients hold
 * themselves strictly to the minimum without read-modify-writing, and nbdfuse under a loop
 * device then refuses the kernel's 512-byte writes, as measured with mkfs.ext4), and a
 * preferred size of one chunk: whole-chunk writes need the fewest pre-reads short of a full
 * stripe, whose width is in general not the power of two NBD requires.
 *
 * <p>TRIM and WRITE_ZEROES both zero the range through {@link RaidArray#trim} (parity kept
 * right), so the array never has holes: block status reports one allocated extent, and
 * FAST_ZERO is refused, since zeroing costs the member writes a WRITE would.
 */
public final class RaidBlockExport implements BlockExport {
    private static final int EINVAL = 22;
    /**
     * Reads shorter than this are read on the event loop when {@link RaidArray#readNow} can
     * (members in memory, bytes cached); longer ones go to the I/O threads (or, without TLS, out
     * of the member files by the server), so one connection's event loop is not spent copying.
     */
    static final int READ_NOW_LIMIT = 64 << 10;

    private static final System.Logger LOG = System.getLogger(RaidBlockExport.class.getName());

    private final RaidArray array;

    public RaidBlockExport(RaidArray array) {
        this.array = array;
    }

    public RaidArray array() {
        return array;
    }

    @Override
    public String name() {
        return array.name();
    }

    @Override
    public long size() {
        return array.sizeBytes();
    }

    @Override
    public String description() {
        return "raid5d RAID-5, " + array.geometry().raidDisks() + " members, "
                + array.geometry().chunkBytes() / 1024 + "K chunk, " + array.geometry().layout().mdName();
    }

    /** FLUSH syncs every member, whichever connection wrote: safe for several connections. */
    @Override
    public boolean canMultiConn() {
        return true;
    }

    /** md's logical sector: sizes and every md-made request are whole sectors. */
    @Override
    public int minimumBlockSize() {
        return array.sizeBytes() % 512 == 0 ? 512 : 1;
    }

    /** One chunk (md chunks are powers of two), within the limits NBD puts on it. */
    @Override
    public int preferredBlockSize() {
        return Math.max(minimumBlockSize(), Math.min(array.geometry().chunkBytes(), maximumPayload()));
    }

    @Override
    public boolean canTrim() {
        return true;
    }

    @Override
    public boolean canWriteZeroes() {
        return true;
    }

    /** Zeroing writes zeros to the members and parity: no faster than a WRITE of zeros. */
    @Override
    public boolean zeroesFast() {
        return false;
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        CompletableFuture<Void> zeroed = guard(() -> array.trim(offset, length));
        return fua ? zeroed.thenCompose(v -> array.flush()) : zeroed;
    }

    /** Zeroed bytes stay allocated whatever NO_HOLE says: the array has no holes to punch. */
    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
        return trim(offset, length, fua);
    }

    /** Every byte of an md array is allocated data: one extent, not a hole, not known zero. */
    @Override
    public CompletableFuture<List<Extent>> allocation(long offset, long length) {
        return CompletableFuture.completedFuture(List.of(new Extent(length, 0)));
    }

    @Override
    public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
        dst.ensureWritable(length);
        int at = dst.writerIndex();
        ByteBuffer view = dst.nioBufferCount() == 1 ? dst.nioBuffer(at, length) : null;
        if (view != null && length < READ_NOW_LIMIT && array.readNow(offset, view)) {
            dst.writerIndex(at + length); // from the page cache, on the event loop: no hand-off
            return CompletableFuture.completedFuture(null);
        }
        if (view != null) {
            return guard(() -> array.read(offset, view)).thenRun(() -> dst.writerIndex(at + length));
        }
        ByteBuffer tmp = ByteBuffer.allocateDirect(length); // a composite dst: rare, so copy
        return guard(() -> array.read(offset, tmp)).thenRun(() -> dst.writeBytes(tmp));
    }

    /** The member file ranges the array names (see {@link RaidArray#fileRanges}), as the server's slices. */
    @Override
    public List<FileSlice> readSlices(long offset, int length) {
        List<FileRange> ranges = array.fileRanges(offset, length);
        if (ranges == null) {
            return null;
        }
        List<FileSlice> slices = new ArrayList<>(ranges.size());
        for (FileRange r : ranges) {
            slices.add(new FileSlice(r.file(), r.position(), r.length()));
        }
        return slices;
    }

    /**
     * Reads the range again through the engine, whose read-error handling (rewrite from parity,
     * or fail the member) is the one place a failing member is dealt with. Usually the client
     * just went away, and the read finds nothing wrong.
     */
    @Override
    public void sliceSendFailed(long offset, int length, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, () -> array.name() + ": a reply from member files failed (" + cause
                + "); reading " + length + " bytes at " + offset + " through the engine to check the members");
        ByteBuffer scratch = ByteBuffer.allocateDirect(length);
        guard(() -> array.read(offset, scratch)).whenComplete((v, e) -> {
            if (e != null) {
                LOG.log(System.Logger.Level.WARNING, array.name() + ": reading " + length + " bytes at " + offset
                        + " after a failed reply from member files failed too", e);
            }
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
        ByteBuffer[] parts = src.nioBuffers();
        if (parts.length == 1) {
            return guard(() -> array.write(offset, parts[0], fua));
        }
        return guard(() -> array.write(offset, parts, fua)); // several receive buffers: one gathering write
    }

    @Override
    public CompletableFuture<Void> flush() {
        return array.flush();
    }

    @Override
    public void unplug() {
        array.unplug();
    }

    private interface Call {
        CompletableFuture<Void> run();
    }

    /** Range errors the server should already have stopped become EINVAL, not EIO. */
    private static CompletableFuture<Void> guard(Call call) {
        try {
            return call.run();
        } catch (ArrayRangeException e) {
            return CompletableFuture.failedFuture(new NbdErrorException(EINVAL, e.getMessage()));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
