package io.raid5d.core.intent;

import io.raid5d.bitmap.BitmapDaemon;
import io.raid5d.bitmap.BitmapOpenOptions;
import io.raid5d.bitmap.BitmapStore;
import io.raid5d.bitmap.WriteIntentBitmap;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.bitmapstore.InternalBitmapStore;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The engine's write-intent log backed by md's bitmap ({@link WriteIntentBitmap}): counters per
 * bitmap chunk, batches closed by unplug and written before any stripe of the batch touches a
 * member, bits cleared lazily by the bitmap daemon, resync limited to the chunks whose bits say
 * so.
 *
 * <p>Threads: one thread per array ({@code raid5-bitmap-*}) writes the batches and runs the
 * daemon passes, so unplug never blocks the engine; everything else is called on engine threads
 * as {@link WriteIntentLog} describes. The bitmap does its own locking.
 */
public final class BitmapWriteIntentLog implements WriteIntentLog {
    private static final Logger LOG = Logger.getLogger(BitmapWriteIntentLog.class.getName());

    private final WriteIntentBitmap bitmap;
    private final BitmapStore store;
    private final ScheduledExecutorService thread; // batch writes and daemon passes
    private final String location;
    private final Object daemonLock = new Object();
    private BitmapDaemon daemon; // guarded by daemonLock; null until started
    private volatile java.util.function.BiConsumer<Integer, IOException> memberFailure = (role, e) -> { };

    private BitmapWriteIntentLog(WriteIntentBitmap bitmap, BitmapStore store, ScheduledExecutorService thread,
                                 String location) {
        this.bitmap = bitmap;
        this.store = store;
        this.thread = thread;
        this.location = location;
    }

    /**
     * The {@link io.raid5d.core.intent.WriteIntentLogFactory} for md arrays: the internal bitmap
     * when the superblocks say there is one, else a log that keeps nothing.
     */
    public static WriteIntentLog open(MemberSet members, List<Superblock> superblocks) throws IOException {
        Superblock ref = superblocks.stream().filter(java.util.Objects::nonNull).findFirst()
                .orElseThrow(() -> new IOException("no member superblock to open the bitmap from"));
        if (!ref.hasBitmap()) {
            return new AlwaysWrittenLog();
        }
        List<MemberDevice> devices = new ArrayList<>();
        for (int role = 0; role < members.count(); role++) {
            devices.add(members.member(role));
        }
        return open(InternalBitmapStore.of(devices, superblocks), ref);
    }

    /** Opens the bitmap in {@code store} for the array {@code ref} describes, its daemon running. */
    public static BitmapWriteIntentLog open(BitmapStore store, Superblock ref) throws IOException {
        BitmapWriteIntentLog log = open(store, ref, ref.getResyncOffset());
        log.startDaemon();
        return log;
    }

    /**
     * Opens the bitmap in {@code store} for the array {@code ref} describes, as if its superblocks
     * said {@code resyncOffset} (set bits from there on are NEEDED); the daemon, which clears idle
     * bits, does not run until {@link #startDaemon()}.
     */
    public static BitmapWriteIntentLog open(BitmapStore store, Superblock ref, long resyncOffset) throws IOException {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raid5-bitmap-" + ref.getSetName());
            t.setDaemon(true);
            return t;
        });
        try {
            WriteIntentBitmap bitmap = WriteIntentBitmap.open(store, new BitmapOpenOptions()
                    .arrayUuid(ref.getSetUuid()).arrayEvents(ref.getEvents()).resyncOffset(resyncOffset)
                    .componentSectors(ref.getSize()).degraded(false).writer(thread));
            BitmapWriteIntentLog log = new BitmapWriteIntentLog(bitmap, store, thread,
                    store instanceof InternalBitmapStore ? "internal" : store.describe());
            if (store instanceof InternalBitmapStore internal) {
                internal.setMemberErrorListener((slot, member, error) -> log.memberFailure.accept(slot, error));
            }
            return log;
        } catch (BitmapFormatException e) {
            thread.shutdownNow();
            throw new IOException(store.describe() + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            thread.shutdownNow();
            throw e;
        }
    }

    public WriteIntentBitmap bitmap() {
        return bitmap;
    }

    /** "internal", or the bitmap file's path. */
    public String location() {
        return location;
    }

    /** Starts the daemon that clears idle bits every daemon_sleep (once; later calls do nothing). */
    public void startDaemon() {
        synchronized (daemonLock) {
            if (daemon == null) {
                daemon = BitmapDaemon.start(bitmap, thread);
            }
        }
    }

    @Override
    public long startWrite(long memberSector, long sectors) {
        while (true) {
            long seq = bitmap.startWrite(memberSector, sectors);
            if (seq != WriteIntentBitmap.MUST_WAIT) {
                return seq;
            }
            // A counter is at its maximum: wait (bounded by the writes in flight) until one ends.
            bitmap.whenStartable(memberSector, sectors).join();
        }
    }

    @Override
    public boolean isBatchWritten(long bmSeq) {
        return bitmap.isWritten(bmSeq);
    }

    @Override
    public void onBatchWritten(Runnable listener) {
        bitmap.setBatchListener(written -> listener.run());
    }

    @Override
    public void unplug() {
        bitmap.unplug(); // runs on the bitmap thread; failures fail the waiting batches
    }

    @Override
    public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
        bitmap.endWrite(memberSector, sectors, success, degraded);
    }

    @Override
    public void recordEvents(long events) throws IOException {
        bitmap.setEvents(events);
    }

    @Override
    public void flushForCleanStop() throws IOException {
        long left = bitmap.clearIdleBits();
        if (left > 0) {
            LOG.info(() -> bitmap.describe() + ": " + left + " bits stay set after the stop (chunks still to resync)");
        }
    }

    @Override
    public ResyncRange nextResync(long fromSector, long limitSector, long alignSectors) {
        long chunk = bitmap.nextSyncChunk(bitmap.chunkOf(fromSector));
        if (chunk < 0 || chunk * bitmap.chunkSectors() >= limitSector) {
            return null;
        }
        long start = Math.max(fromSector, chunk * bitmap.chunkSectors() / alignSectors * alignSectors);
        long end = Math.min(limitSector, ceil((chunk + 1) * bitmap.chunkSectors(), alignSectors));
        // Every bitmap chunk the aligned range touches is synced by it: mark them all.
        for (long c = bitmap.chunkOf(start); c <= bitmap.chunkOf(end - 1); c++) {
            bitmap.startSync(c, false);
        }
        return new ResyncRange(start, end);
    }

    @Override
    public void endResync(ResyncRange range, boolean aborted) {
        for (long c = bitmap.chunkOf(range.start()); c <= bitmap.chunkOf(range.end() - 1); c++) {
            bitmap.endSync(c, aborted);
        }
    }

    // ---- degraded mode and recovery --------------------------------------------------------

    /**
     * Whole again means a recovery has just rewritten every chunk the bitmap marked (all of them
     * for a full rebuild, the dirty ones for a re-add): like md's recovery passing each chunk
     * through bitmap_start_sync/end_sync, their NEEDED flags are dropped, so the daemon clears the
     * bits lazily.
     */
    @Override
    public void setDegraded(boolean degraded) {
        bitmap.setDegraded(degraded);
        if (!degraded) {
            for (long c = bitmap.nextSyncChunk(0); c >= 0; c = bitmap.nextSyncChunk(c + 1)) {
                if (bitmap.startSync(c, false)) {
                    bitmap.endSync(c, false);
                }
            }
        }
    }

    @Override
    public long nextDirtySector(long fromMemberSector) {
        long chunk = bitmap.chunkOf(fromMemberSector);
        for (long c = chunk; c < bitmap.chunkCount(); c++) {
            if (bitmap.isBitSet(c)) {
                return Math.max(fromMemberSector, c * bitmap.chunkSectors());
            }
        }
        return Long.MAX_VALUE;
    }

    @Override
    public long eventsCleared() {
        return bitmap.header().getEventsCleared();
    }

    @Override
    public void onMemberFailure(java.util.function.BiConsumer<Integer, IOException> handler) {
        memberFailure = handler;
    }

    @Override
    public void memberAdded(int role, MemberDevice device, Superblock superblock) throws IOException {
        if (store instanceof InternalBitmapStore internal) {
            internal.addMember(role, device, superblock);
            bitmap.rewriteAll();
        }
    }

    private static long ceil(long value, long align) {
        return (value + align - 1) / align * align;
    }

    @Override
    public void close() throws IOException {
        synchronized (daemonLock) {
            if (daemon != null) {
                daemon.close();
            }
        }
        try {
            bitmap.close();
        } finally {
            thread.shutdown();
            try {
                thread.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
