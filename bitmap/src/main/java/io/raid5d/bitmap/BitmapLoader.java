package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Opening a bitmap as md does on assembly: reads and checks the stored area against the array,
 * detects a stale bitmap, then turns the stored bits into counters (and, if stale, rewrites them
 * all).
 */
final class BitmapLoader {
    private static final Logger LOG = Logger.getLogger(WriteIntentBitmap.class.getName());

    /** The checked stored area: header, the area holding the bits, staleness and md's warnings. */
    record StoredBitmap(BitmapSuperblock header, ByteBuffer area, boolean stale, List<String> messages) {
    }

    private BitmapLoader() {
    }

    /**
     * Reads and checks the store; a stale bitmap (state STALE, or events older than the array's)
     * gets STALE set and events_cleared = the array's events, as md's "bitmap file is out of date"
     * path does.
     */
    static StoredBitmap read(BitmapStore store, BitmapOpenOptions options) throws IOException, BitmapFormatException {
        String name = store.describe();
        ByteBuffer area = store.readArea();
        BitmapSuperblock header;
        try {
            header = BitmapSuperblock.decode(area);
        } catch (BitmapFormatException e) {
            throw new BitmapFormatException(name + ": " + e.getMessage(), e);
        }
        byte[] uuid = options.arrayUuid();
        if (uuid != null && !Arrays.equals(uuid, header.getUuid())) {
            throw new BitmapFormatException(name + ": bitmap superblock UUID mismatch: bitmap belongs to "
                    + hex(header.getUuid()) + ", array is " + hex(uuid));
        }
        if (options.componentSectors() >= 0 && header.getSyncSize() != options.componentSectors()) {
            throw new BitmapFormatException(name + ": bitmap covers " + header.getSyncSize()
                    + " sectors per member but the array uses " + options.componentSectors());
        }
        if (header.getChunkSize() < 512 || header.bitCount() == 0) {
            throw new BitmapFormatException(name + ": bitmap has no chunks (sync_size " + header.getSyncSize() + ")");
        }
        long needBytes = BitmapSuperblock.SIZE + header.bitsBytes();
        if (area.remaining() < needBytes) {
            throw new BitmapFormatException(name + ": bitmap too short: " + area.remaining() + " bytes, need "
                    + needBytes + " for " + header.bitCount() + " bits");
        }
        List<String> messages = new ArrayList<>();
        boolean stale = header.isStale();
        if (Long.compareUnsigned(header.getEvents(), options.arrayEvents()) < 0) {
            messages.add(String.format(Locale.ROOT, "%s: bitmap file is out of date (%s < %s) -- forcing full recovery",
                    name, Long.toUnsignedString(header.getEvents()), Long.toUnsignedString(options.arrayEvents())));
            stale = true;
        } else if (stale) {
            messages.add(name + ": bitmap file is out of date, doing full recovery");
        }
        if (stale) {
            header.setState(header.getState() | BitmapSuperblock.STATE_STALE);
            header.setEventsCleared(options.arrayEvents());
        }
        for (String m : messages) {
            LOG.warning(m);
        }
        return new StoredBitmap(header, area, stale, List.copyOf(messages));
    }

    /**
     * Sets up the counters: a set bit becomes an idle counter (the daemon clears it after two
     * passes unless it is NEEDED); it is NEEDED when its chunk reaches the array's resync_offset
     * (for a degraded array whose bitmap has cleared bits since the last event: every set bit). A
     * stale bitmap gets every bit set and written before this returns.
     */
    static void loadCounters(BitmapState state, PageWriter io, BitmapOpenOptions o, boolean stale) throws IOException {
        long start = 0;
        synchronized (state) {
            if (!o.degraded() || state.header.getEventsCleared() == o.arrayEvents()) {
                start = o.resyncOffset(); // a degraded array keeps every bit needed for a re-add
            }
            for (long c = 0; c < state.chunkCount; c++) {
                if (stale) {
                    state.image.setBit(c);
                }
                if (state.image.isSet(c)) {
                    boolean needed = Long.compareUnsigned((c + 1) << state.chunkShift, start) >= 0;
                    state.counters.set(c, BitmapCounter.IDLE | (needed ? BitmapCounter.NEEDED : 0));
                    state.counters.markPending(c);
                }
            }
        }
        if (stale) {
            // Every bit must be durable before the header may drop STALE (at the next setEvents).
            io.lock();
            try {
                synchronized (state) {
                    state.image.takeDirty(io.pageList());
                }
                io.writeAll();
            } finally {
                io.unlock();
            }
        }
    }

    private static String hex(byte[] uuid) {
        StringBuilder s = new StringBuilder(35);
        for (int i = 0; i < uuid.length; i++) {
            if (i > 0 && i % 4 == 0) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", uuid[i] & 0xff));
        }
        return s.toString();
    }
}
