package io.raid5d.bitmap.testing;

import io.raid5d.bitmap.BitmapStore;
import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A bitmap store in memory that records what a crash would leave: page writes land in a
 * "written" image, {@link #sync()} copies it to the "durable" image. For tests of the bitmap and
 * of engines using it: it counts page writes and syncs, can fail writes, and runs a {@link Hook}
 * before each write and sync (outside its own lock) so a test can hold a batch at a chosen point.
 *
 * <p>Thread-safe.
 */
public final class MemoryBitmapStore implements BitmapStore {

    /** Called before each store operation, on the writing thread; may block or throw. */
    public interface Hook {
        default void beforeWrite(int page) throws IOException {
        }

        default void beforeSync() throws IOException {
        }
    }

    private final String name;
    private byte[] written;
    private byte[] durable;
    private int[] pageWrites;
    private int syncs;
    private int failWrites;
    private boolean closed;
    private volatile Hook hook = new Hook() { };

    private MemoryBitmapStore(String name, byte[] image) {
        this.name = name;
        this.written = image.clone();
        this.durable = image.clone();
        this.pageWrites = new int[(image.length + PAGE_BYTES - 1) / PAGE_BYTES];
    }

    /** A store holding {@code area} (header then bits) as durable content. */
    public static MemoryBitmapStore of(String name, ByteBuffer area) {
        byte[] image = new byte[area.remaining()];
        area.duplicate().get(image);
        return new MemoryBitmapStore(name, image);
    }

    /** A new bitmap: {@code header}, then its bits all set or all clear, in whole sectors. */
    public static MemoryBitmapStore create(String name, BitmapSuperblock header, boolean allBitsSet) {
        long bytes = (BitmapSuperblock.SIZE + header.bitsBytes() + 511) / 512 * 512;
        ByteBuffer image = ByteBuffer.allocate((int) bytes);
        header.encodeInto(image);
        ByteBuffer bits = image.slice();
        if (allBitsSet) {
            for (long b = 0; b < header.bitCount(); b++) {
                BitmapBits.set(bits, b);
            }
        }
        return new MemoryBitmapStore(name, image.array());
    }

    public void setHook(Hook hook) {
        this.hook = hook;
    }

    /** The next {@code n} page writes fail with an IOException. */
    public synchronized void failNextWrites(int n) {
        failWrites = n;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public synchronized ByteBuffer readArea() throws BitmapFormatException {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        if (durable.length < BitmapSuperblock.SIZE) {
            throw new BitmapFormatException(name + ": no bitmap header");
        }
        return ByteBuffer.wrap(durable.clone());
    }

    @Override
    public void writePage(int page, ByteBuffer data) throws IOException {
        hook.beforeWrite(page);
        synchronized (this) {
            if (closed) {
                throw new IOException(name + " is closed");
            }
            if (data.remaining() % 512 != 0 || data.remaining() > PAGE_BYTES || data.remaining() == 0) {
                throw new IllegalArgumentException(name + ": page write of " + data.remaining() + " bytes");
            }
            if (failWrites > 0) {
                failWrites--;
                throw new IOException(name + ": injected write error on page " + page);
            }
            int at = page * PAGE_BYTES;
            int end = at + data.remaining();
            if (end > written.length) {
                written = Arrays.copyOf(written, end);
                durable = Arrays.copyOf(durable, Math.max(durable.length, end));
                pageWrites = Arrays.copyOf(pageWrites, Math.max(pageWrites.length, page + 1));
            }
            data.get(written, at, data.remaining());
            pageWrites[page]++;
        }
    }

    @Override
    public void sync() throws IOException {
        hook.beforeSync();
        synchronized (this) {
            if (closed) {
                throw new IOException(name + " is closed");
            }
            durable = written.clone();
            syncs++;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** What survives a crash now: the area as of the last sync. */
    public synchronized ByteBuffer durableArea() {
        return ByteBuffer.wrap(durable.clone());
    }

    /** Whether bit {@code chunk} is set in the durable image. */
    public synchronized boolean durableBitSet(long chunk) {
        return BitmapBits.isSet(ByteBuffer.wrap(durable).position(BitmapSuperblock.SIZE), chunk);
    }

    /** The durable header. */
    public synchronized BitmapSuperblock durableHeader() throws BitmapFormatException {
        return BitmapSuperblock.decode(ByteBuffer.wrap(durable));
    }

    public synchronized int pageWrites(int page) {
        return page < pageWrites.length ? pageWrites[page] : 0;
    }

    public synchronized int totalPageWrites() {
        int n = 0;
        for (int w : pageWrites) {
            n += w;
        }
        return n;
    }

    public synchronized int syncs() {
        return syncs;
    }
}
