package io.raid5d.nbd.export;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.protocol.Errno;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Another export, served read-only: reads, flushes, CACHE and block status pass through;
 * the server answers writes, trims and zeroing with EPERM before they get here, and this
 * view refuses them anyway should anyone call it directly.
 */
public final class ReadOnlyExport implements BlockExport {
    private final BlockExport export;

    public ReadOnlyExport(BlockExport export) {
        this.export = export;
    }

    @Override public String name() { return export.name(); }
    @Override public long size() { return export.size(); }
    @Override public String description() { return export.description(); }
    @Override public boolean readOnly() { return true; }
    @Override public boolean canMultiConn() { return export.canMultiConn(); }
    @Override public int minimumBlockSize() { return export.minimumBlockSize(); }
    @Override public int preferredBlockSize() { return export.preferredBlockSize(); }
    @Override public int maximumPayload() { return export.maximumPayload(); }

    @Override
    public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
        return export.read(offset, length, dst);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
        return refused();
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        return refused();
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
        return refused();
    }

    @Override
    public CompletableFuture<Void> flush() {
        return export.flush();
    }

    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        return export.cache(offset, length);
    }

    @Override
    public CompletableFuture<List<Extent>> allocation(long offset, long length) {
        return export.allocation(offset, length);
    }

    @Override
    public void unplug() {
        export.unplug();
    }

    private CompletableFuture<Void> refused() {
        return CompletableFuture.failedFuture(new NbdErrorException(Errno.EPERM, export.name() + " is read-only"));
    }
}
