package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.resync.ParityResync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The plain RAID-5 engine: each request runs on the blocking member-I/O executor; a write
 * locks one chunk row at a time and does a read-modify-write or reconstruct-write of it.
 * Correct and simple; the stripe-cache engine replaces it behind {@link RaidArray}.
 */
public final class Raid5Array implements RaidArray {
    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final ArrayMetadata metadata;
    private final MemberIoExecutor io;
    private final RowLocks rowLocks = new RowLocks();
    private final ThreadLocal<ChunkScratch> scratch;
    private final RowWriter rowWriter;
    private final ParityResync resync;
    // Read-only zeros for trims; one row long, allocated on first trim.
    private volatile ByteBuffer zeroRow;

    public Raid5Array(String name, MemberSet members, ArrayMetadata metadata, int ioThreads) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.metadata = metadata;
        this.io = new MemberIoExecutor(name, ioThreads);
        int chunkBytes = geometry.chunkBytes();
        this.scratch = ThreadLocal.withInitial(() -> new ChunkScratch(chunkBytes));
        this.rowWriter = new RowWriter(members, scratch);
        this.resync = new ParityResync(name, members, rowLocks::forRow);
    }

    /** Marks the members dirty and starts a background resync if the last stop was unclean. */
    public void start() throws IOException {
        long resumeAt = metadata.resyncStartSector();
        metadata.markActive();
        if (resumeAt < geometry.memberSectors()) {
            resync.start(resumeAt);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long sizeBytes() {
        return geometry.arrayBytes();
    }

    @Override
    public Geometry geometry() {
        return geometry;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange(offset, length);
        return io.submit(() -> {
            ByteBuffer view = dst.duplicate();
            int end = view.limit();
            long pos = offset;
            int chunkBytes = geometry.chunkBytes();
            while (view.hasRemaining()) {
                long chunk = pos / chunkBytes;
                int inChunk = (int) (pos % chunkBytes);
                int n = Math.min(view.remaining(), chunkBytes - inChunk);
                long chunkSector = chunk * geometry.chunkSectors();
                long row = geometry.stripeOf(chunkSector);
                int member = geometry.memberOf(chunkSector);
                view.limit(view.position() + n);
                members.member(member).read(members.rowAddress(member, row) + inChunk, view);
                view.limit(end);
                pos += n;
            }
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
        checkRange(offset, src.remaining());
        return io.submit(() -> {
            writeRows(offset, src.duplicate());
            if (fua) {
                members.syncAll();
            }
        });
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        checkRange(offset, length);
        return io.submit(() -> {
            ByteBuffer zeros = zeroRow();
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                int n = (int) Math.min(end - pos, zeros.capacity());
                writeRows(pos, zeros.duplicate().limit(n));
                pos += n;
            }
        });
    }

    @Override
    public CompletableFuture<Void> flush() {
        return io.submit(members::syncAll);
    }

    private void writeRows(long offset, ByteBuffer src) throws IOException {
        long rowBytes = (long) geometry.chunkBytes() * geometry.dataDisks();
        long pos = offset;
        while (src.hasRemaining()) {
            long row = pos / rowBytes;
            int rowOffset = (int) (pos % rowBytes);
            int n = (int) Math.min(src.remaining(), rowBytes - rowOffset);
            ByteBuffer piece = src.duplicate().limit(src.position() + n);
            ReentrantLock lock = rowLocks.forRow(row);
            lock.lock();
            try {
                rowWriter.write(row, rowOffset, piece);
            } finally {
                lock.unlock();
            }
            src.position(src.position() + n);
            pos += n;
        }
    }

    private ByteBuffer zeroRow() {
        ByteBuffer z = zeroRow;
        if (z == null) {
            z = ByteBuffer.allocateDirect(geometry.chunkBytes() * geometry.dataDisks()).asReadOnlyBuffer();
            zeroRow = z;
        }
        return z;
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > sizeBytes() || length > sizeBytes() - offset) {
            throw new ArrayRangeException("range " + offset + "+" + length + " is outside array " + name
                    + " of " + sizeBytes() + " bytes");
        }
    }

    public long readModifyWrites() {
        return rowWriter.readModifyWrites.sum();
    }

    public long reconstructWrites() {
        return rowWriter.reconstructWrites.sum();
    }

    /** Blocks until a running resync has finished (for tests and orderly tools). */
    public void awaitResync() throws InterruptedException {
        resync.await();
    }

    @Override
    public ArrayStatus status() {
        long done = resync.checkpoint();
        String state = resync.running() ? "active, resyncing"
                : done < geometry.memberSectors() ? "active, resync pending" : "active";
        return new ArrayStatus(name, metadata.uuidString(), state,
                geometry.raidDisks(), geometry.chunkBytes(), geometry.layout().mdName(), sizeBytes(),
                geometry.memberSectors(), metadata.events(), members.paths(), resync.running(),
                Math.min(done, geometry.memberSectors()));
    }

    @Override
    public void close() throws IOException {
        try {
            resync.stop();
            io.shutdownAndDrain();
            members.syncAll();
            metadata.markStopped(resync.checkpoint());
        } finally {
            members.close();
        }
    }

    static RejectedExecutionException overloaded(String name) {
        return new RejectedExecutionException("array " + name + " has too many requests in flight");
    }
}
