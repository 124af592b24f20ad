package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.bitmap.io.ChannelIo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A bitmap kept in a file: the 256-byte header at offset 0, the bits right after it (the layout
 * mdadm 4.2's {@code mdadm -X FILE} reads). The file is locked exclusively while open, so two
 * daemons cannot share it; the lock goes with {@link #close()}.
 *
 * <p>Not thread-safe by itself; {@link WriteIntentBitmap} serialises its calls.
 */
public final class FileBitmapStore implements BitmapStore {
    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private FileBitmapStore(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Opens and locks an existing bitmap file.
     *
     * @throws IOException naming the file: missing, unreadable, or in use ("busy")
     */
    public static FileBitmapStore open(Path path) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new IOException(path + ": no such bitmap file", e);
        }
        return lock(path, ch);
    }

    /**
     * Creates a new bitmap file (refusing an existing one) holding {@code header} and its bits, all
     * set or all clear, padded to whole 512-byte sectors; synced; returned open and locked.
     */
    public static FileBitmapStore create(Path path, BitmapSuperblock header, boolean allBitsSet) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(path + ": bitmap file already exists", e);
        }
        FileBitmapStore store = lock(path, ch);
        try {
            long bits = header.bitCount();
            long bytes = (BitmapSuperblock.SIZE + header.bitsBytes() + 511) / 512 * 512;
            if (bytes > Integer.MAX_VALUE) {
                throw new IOException(path + ": bitmap of " + bits + " bits is too large");
            }
            ByteBuffer image = ByteBuffer.allocate((int) bytes);
            header.encodeInto(image);
            if (allBitsSet) {
                for (long i = 0; i < bits / 8; i++) {
                    image.put((byte) 0xff);
                }
                if (bits % 8 != 0) {
                    image.put((byte) ((1 << (bits % 8)) - 1));
                }
            }
            image.clear();
            writeFully(ch, image, 0);
            ch.force(true);
            return store;
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** A header for a new array's bitmap: version 4, state OK, events_cleared = events. */
    public static BitmapSuperblock newHeader(byte[] arrayUuid, long syncSizeSectors, int chunkBytes,
                                             int daemonSleepSeconds, long events) {
        if (chunkBytes < 512 || Integer.bitCount(chunkBytes) != 1) {
            throw new IllegalArgumentException("bitmap chunk " + chunkBytes + " bytes is not a power of two >= 512");
        }
        if (daemonSleepSeconds < 1) {
            throw new IllegalArgumentException("daemon_sleep must be at least 1 second, got " + daemonSleepSeconds);
        }
        BitmapSuperblock h = new BitmapSuperblock();
        h.setVersion(BitmapSuperblock.VERSION_HI);
        h.setUuid(arrayUuid);
        h.setSyncSize(syncSizeSectors);
        h.setChunkSize(chunkBytes);
        h.setDaemonSleep(daemonSleepSeconds);
        h.setEvents(events);
        h.setEventsCleared(events);
        return h;
    }

    private static FileBitmapStore lock(Path path, FileChannel ch) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new IOException(path + ": bitmap file is busy (already open in this process)", e);
        } catch (IOException e) {
            ch.close();
            throw new IOException(path + ": cannot lock bitmap file: " + e.getMessage(), e);
        }
        if (lock == null) {
            ch.close();
            throw new IOException(path + ": bitmap file is busy (locked by another process)");
        }
        return new FileBitmapStore(path, ch, lock);
    }

    public Path path() {
        return path;
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public ByteBuffer readArea() throws IOException, BitmapFormatException {
        ByteBuffer head = ByteBuffer.allocate(BitmapSuperblock.SIZE);
        readFully(head, 0, "bitmap header");
        head.flip();
        BitmapSuperblock h;
        try {
            h = BitmapSuperblock.decode(head);
        } catch (BitmapFormatException e) {
            throw new BitmapFormatException(path + ": " + e.getMessage(), e);
        }
        long need = BitmapSuperblock.SIZE + h.bitsBytes();
        if (need > Integer.MAX_VALUE) {
            throw new BitmapFormatException(path + ": bitmap of " + h.bitCount() + " bits is too large");
        }
        if (channel.size() < need) {
            throw new BitmapFormatException(path + ": bitmap file too short: " + channel.size() + " < " + need
                    + " bytes for " + h.bitCount() + " bits");
        }
        ByteBuffer area = ByteBuffer.allocate((int) need);
        readFully(area, 0, "bitmap");
        area.flip();
        return area;
    }

    @Override
    public void writePage(int page, ByteBuffer data) throws IOException {
        try {
            writeFully(channel, data, (long) page * PAGE_BYTES);
        } catch (IOException e) {
            throw new IOException(path + ": cannot write bitmap page " + page + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void sync() throws IOException {
        try {
            // the last page may have grown a file that ended mid-sector, so metadata too
            channel.force(true);
        } catch (IOException e) {
            throw new IOException(path + ": cannot sync bitmap file: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    private void readFully(ByteBuffer dst, long at, String what) throws IOException {
        ChannelIo.readFully(channel, dst, at, path + " (" + what + ")");
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long at) throws IOException {
        ChannelIo.writeFully(ch, src, at);
    }
}
