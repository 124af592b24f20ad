package io.raid5d.bitmap;

import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * What {@link WriteIntentBitmap#open} needs to know about the array and the process. A mutable
 * builder; the bitmap copies what it needs.
 */
public final class BitmapOpenOptions {
    /** md's resync_offset for a clean array (MaxSector). */
    public static final long RESYNC_DONE = -1L;

    private byte[] arrayUuid;
    private long arrayEvents;
    private long resyncOffset = RESYNC_DONE;
    private boolean degraded;
    private long componentSectors = -1;
    private Executor writer = Runnable::run;
    private LongSupplier nanoClock = System::nanoTime;

    /** The array's set_uuid; the bitmap's uuid must equal it. Null skips the check. */
    public BitmapOpenOptions arrayUuid(byte[] uuid) {
        if (uuid != null && uuid.length != 16) {
            throw new IllegalArgumentException("uuid must be 16 bytes, got " + uuid.length);
        }
        this.arrayUuid = uuid == null ? null : uuid.clone();
        return this;
    }

    /** The superblocks' events: a bitmap whose events are older is stale. */
    public BitmapOpenOptions arrayEvents(long events) {
        this.arrayEvents = events;
        return this;
    }

    /**
     * The superblocks' resync_offset in member sectors ({@link #RESYNC_DONE} when clean): set bits
     * of chunks reaching it or beyond it are NEEDED (must be resynced).
     */
    public BitmapOpenOptions resyncOffset(long sectors) {
        this.resyncOffset = sectors;
        return this;
    }

    /** The array is assembled degraded. */
    public BitmapOpenOptions degraded(boolean degraded) {
        this.degraded = degraded;
        return this;
    }

    /** Sectors per member the array uses; the header's sync_size must equal it. Negative skips the check. */
    public BitmapOpenOptions componentSectors(long sectors) {
        this.componentSectors = sectors;
        return this;
    }

    /**
     * Where batch writes run ({@link WriteIntentBitmap#unplug()} hands them over and returns at
     * once). The default runs them in the caller, which then blocks for the write and sync.
     */
    public BitmapOpenOptions writer(Executor writer) {
        this.writer = writer;
        return this;
    }

    /** Monotonic nanosecond clock for the daemon's spacing; tests pass a fake one. */
    public BitmapOpenOptions nanoClock(LongSupplier clock) {
        this.nanoClock = clock;
        return this;
    }

    byte[] arrayUuid() {
        return arrayUuid == null ? null : arrayUuid.clone();
    }

    long arrayEvents() {
        return arrayEvents;
    }

    long resyncOffset() {
        return resyncOffset;
    }

    boolean degraded() {
        return degraded;
    }

    long componentSectors() {
        return componentSectors;
    }

    Executor writer() {
        return writer;
    }

    LongSupplier nanoClock() {
        return nanoClock;
    }
}
