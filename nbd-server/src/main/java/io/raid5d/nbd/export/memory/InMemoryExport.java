package io.raid5d.nbd.export.memory;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.Extent;
import io.raid5d.nbd.protocol.MetaContexts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A sparse export held in memory, for tests and experiments: pages are allocated on first
 * write, unwritten bytes read as zeros; trimming or zeroing a whole page frees it again, and
 * {@link #allocation} reports freed pages as holes. Every request completes before its method
 * returns.
 * Thread-safe: one monitor serialises requests, which is plenty for tests.
 */
public final class InMemoryExport implements BlockExport {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final String name;
    private final long size;
    private final String description;
    private final boolean readOnly;
    private final boolean canMultiConn;
    private final int maximumPayload;
    private final int minimumBlockSize;
    /** Guarded by this; null pages read as zeros. */
    private final byte[][] pages;

    private InMemoryExport(Builder b) {
        this.name = b.name;
        this.size = b.size;
        this.description = b.description;
        this.readOnly = b.readOnly;
        this.canMultiConn = b.canMultiConn;
        this.maximumPayload = b.maximumPayload;
        this.minimumBlockSize = b.minimumBlockSize;
        long pageCount = (size + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        if (pageCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("export too large: " + size);
        }
        this.pages = new byte[(int) pageCount][];
    }

    public static Builder builder(String name, long size) {
        return new Builder(name, size);
    }

    @Override public String name() { return name; }
    @Override public long size() { return size; }
    @Override public String description() { return description; }
    @Override public boolean readOnly() { return readOnly; }
    @Override public boolean canMultiConn() { return canMultiConn; }
    @Override public int maximumPayload() { return maximumPayload; }
    @Override public int minimumBlockSize() { return minimumBlockSize; }
    @Override public boolean canTrim() { return !readOnly; }
    @Override public boolean canWriteZeroes() { return !readOnly; }
    @Override public boolean zeroesFast() { return true; }

    @Override
    public synchronized CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
        checkRange(offset, length);
        long pos = offset;
        int left = length;
        while (left > 0) {
            int page = (int) (pos >>> PAGE_SHIFT);
            int inPage = (int) (pos & (PAGE_SIZE - 1));
            int n = Math.min(left, PAGE_SIZE - inPage);
            byte[] bytes = pages[page];
            if (bytes == null) {
                dst.writeZero(n);
            } else {
                dst.writeBytes(bytes, inPage, n);
            }
            pos += n;
            left -= n;
        }
        return DONE;
    }

    @Override
    public synchronized CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
        if (readOnly) {
            throw new IllegalStateException("read-only export " + name);
        }
        int length = src.readableBytes();
        checkRange(offset, length);
        int from = src.readerIndex();
        long pos = offset;
        int left = length;
        while (left > 0) {
            int page = (int) (pos >>> PAGE_SHIFT);
            int inPage = (int) (pos & (PAGE_SIZE - 1));
            int n = Math.min(left, PAGE_SIZE - inPage);
            byte[] bytes = pages[page];
            if (bytes == null) {
                bytes = pages[page] = new byte[PAGE_SIZE];
            }
            src.getBytes(from, bytes, inPage, n);
            from += n;
            pos += n;
            left -= n;
        }
        return DONE;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return DONE;
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        return writeZeroes(offset, length, fua, true);
    }

    @Override
    public synchronized CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, boolean mayPunchHole) {
        if (readOnly) {
            throw new IllegalStateException("read-only export " + name);
        }
        checkRange(offset, length);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int page = (int) (pos >>> PAGE_SHIFT);
            int inPage = (int) (pos & (PAGE_SIZE - 1));
            int n = (int) Math.min(end - pos, PAGE_SIZE - inPage);
            if (n == PAGE_SIZE && mayPunchHole) {
                pages[page] = null;
            } else if (pages[page] != null) {
                Arrays.fill(pages[page], inPage, inPage + n, (byte) 0);
            } else if (!mayPunchHole) {
                pages[page] = new byte[PAGE_SIZE]; // NO_HOLE: the range must end up allocated
            }
            pos += n;
        }
        return DONE;
    }

    /** Unwritten (or freed) pages are holes that read as zeros; written pages are data. */
    @Override
    public synchronized CompletableFuture<List<Extent>> allocation(long offset, long length) {
        checkRange(offset, length);
        List<Extent> extents = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        long runStart = pos;
        int runFlags = -1;
        while (pos < end) {
            int page = (int) (pos >>> PAGE_SHIFT);
            int inPage = (int) (pos & (PAGE_SIZE - 1));
            int n = (int) Math.min(end - pos, PAGE_SIZE - inPage);
            int flags = pages[page] == null ? MetaContexts.STATE_HOLE | MetaContexts.STATE_ZERO : 0;
            if (flags != runFlags) {
                if (runFlags >= 0) {
                    extents.add(new Extent(pos - runStart, runFlags));
                }
                runStart = pos;
                runFlags = flags;
            }
            pos += n;
        }
        extents.add(new Extent(end - runStart, runFlags));
        return CompletableFuture.completedFuture(extents);
    }

    /** Copies {@code length} bytes at {@code offset} out, for test assertions. */
    public synchronized byte[] snapshot(long offset, int length) {
        checkRange(offset, length);
        byte[] out = new byte[length];
        long pos = offset;
        int at = 0;
        while (at < length) {
            int page = (int) (pos >>> PAGE_SHIFT);
            int inPage = (int) (pos & (PAGE_SIZE - 1));
            int n = Math.min(length - at, PAGE_SIZE - inPage);
            if (pages[page] != null) {
                System.arraycopy(pages[page], inPage, out, at, n);
            }
            at += n;
            pos += n;
        }
        return out;
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside " + size);
        }
    }

    /** Options of an {@link InMemoryExport}. */
    public static final class Builder {
        private final String name;
        private final long size;
        private String description = "";
        private boolean readOnly;
        private boolean canMultiConn = true;
        private int maximumPayload = 32 << 20;
        private int minimumBlockSize = 1;

        private Builder(String name, long size) {
            this.name = Objects.requireNonNull(name, "name");
            if (size < 0) {
                throw new IllegalArgumentException("negative size " + size);
            }
            this.size = size;
        }

        public Builder description(String description) {
            this.description = Objects.requireNonNull(description);
            return this;
        }

        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /** Default true: one monitor makes every completed write visible to every connection. */
        public Builder canMultiConn(boolean canMultiConn) {
            this.canMultiConn = canMultiConn;
            return this;
        }

        public Builder maximumPayload(int maximumPayload) {
            if (maximumPayload <= 0) {
                throw new IllegalArgumentException("maximumPayload " + maximumPayload);
            }
            this.maximumPayload = maximumPayload;
            return this;
        }

        /** Advertised to clients that ask; a power of two up to 64 KiB. */
        public Builder minimumBlockSize(int minimumBlockSize) {
            if (minimumBlockSize < 1 || minimumBlockSize > 1 << 16 || Integer.bitCount(minimumBlockSize) != 1) {
                throw new IllegalArgumentException("minimumBlockSize " + minimumBlockSize);
            }
            this.minimumBlockSize = minimumBlockSize;
            return this;
        }

        public InMemoryExport build() {
            return new InMemoryExport(this);
        }
    }
}
