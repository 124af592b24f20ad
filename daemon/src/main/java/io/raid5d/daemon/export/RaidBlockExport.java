package io.raid5d.daemon.export;

import io.netty.buffer.ByteBuf;
import io.raid5d.core.array.ArrayRangeException;
import io.raid5d.core.array.RaidArray;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.NbdErrorException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Serves a RAID array as an NBD export: the only place where the protocol side meets the
 * engine. NBD payload buffers are handed to the array as NIO views, without copying; the NBD
 * server keeps them alive until the returned future completes.
 */
public final class RaidBlockExport implements BlockExport {
    private static final int EINVAL = 22;

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

    @Override
    public int preferredBlockSize() {
        return 4096;
    }

    @Override
    public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
        dst.ensureWritable(length);
        int at = dst.writerIndex();
        ByteBuffer view = dst.nioBufferCount() == 1 ? dst.nioBuffer(at, length) : null;
        if (view != null) {
            return guard(() -> array.read(offset, view)).thenRun(() -> dst.writerIndex(at + length));
        }
        ByteBuffer tmp = ByteBuffer.allocateDirect(length); // a composite dst: rare, so copy
        return guard(() -> array.read(offset, tmp)).thenRun(() -> dst.writeBytes(tmp));
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
