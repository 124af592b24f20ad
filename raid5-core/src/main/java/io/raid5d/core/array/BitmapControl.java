package io.raid5d.core.array;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.SwitchableWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.ParityResync;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The array's write-intent bitmap at run time: where it is, its meters (which survive a switch),
 * and {@code grow --bitmap} (switching the array's log to another bitmap, or none).
 *
 * <p>{@link #switchLock} serialises switches, and the array's close waits on it for a switch in
 * progress; {@code daemonSleepSeconds} is guarded by it.
 */
final class BitmapControl {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());

    private final String name;
    private final MemberSet members;
    private final Geometry geometry;
    private final ArrayMetadata metadata;
    private final SwitchableWriteIntentLog intentLog;
    private final ParityResync resync;
    private final Object switchLock = new Object(); // one bitmap switch at a time; first in the array's lock order
    private int daemonSleepSeconds; // for the next bitmap made at run time; guarded by switchLock
    // bitmap page writes and syncs of logs switched away from, so the counters never go back
    private final AtomicLong retiredPageWrites = new AtomicLong();
    private final AtomicLong retiredSyncs = new AtomicLong();

    BitmapControl(String name, MemberSet members, ArrayMetadata metadata, SwitchableWriteIntentLog intentLog,
                  WriteIntentLog initialLog, ParityResync resync) {
        this.name = name;
        this.members = members;
        this.geometry = members.geometry();
        this.metadata = metadata;
        this.intentLog = intentLog;
        this.resync = resync;
        this.daemonSleepSeconds = initialLog instanceof BitmapWriteIntentLog b
                ? b.bitmap().daemonSleepSeconds() : BitmapSuperblock.DEFAULT_DAEMON_SLEEP;
    }

    /** See {@link Raid5Array#bindTo}. */
    void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("raid5.bitmap.page.writes", this, a -> a.bitmapCount(true)).tag("array", name)
                .description("bitmap pages written (each dirty page once per batch)").register(registry);
        FunctionCounter.builder("raid5.bitmap.syncs", this, a -> a.bitmapCount(false)).tag("array", name)
                .description("bitmap syncs (one per batch that set new bits)").register(registry);
        Gauge.builder("raid5.bitmap.bits.set", this, a -> currentBitmap().map(b -> b.bitmap().setBitCount()).orElse(0L))
                .tag("array", name).description("bitmap bits set now").register(registry);
    }

    private double bitmapCount(boolean pages) {
        long now = currentBitmap().map(b -> pages ? b.bitmap().pageWrites() : b.bitmap().storeSyncs()).orElse(0L);
        return now + (pages ? retiredPageWrites.get() : retiredSyncs.get());
    }

    private Optional<BitmapWriteIntentLog> currentBitmap() {
        return intentLog.current() instanceof BitmapWriteIntentLog b ? Optional.of(b) : Optional.empty();
    }

    String location() {
        return currentBitmap().map(BitmapWriteIntentLog::location).orElse("none");
    }

    Optional<BitmapSuperblock> header() {
        return currentBitmap().map(b -> b.bitmap().header());
    }

    /** Runs {@code closing} (the array's close) once no bitmap switch is in progress, none starting meanwhile. */
    void closeAfterSwitch(IoAction closing) throws IOException {
        synchronized (switchLock) {
            closing.run();
        }
    }

    /** An action that may throw IOException. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    /** See {@link Raid5Array#switchWriteIntentLog}. */
    void switchTo(BitmapTarget target) throws IOException {
        synchronized (switchLock) {
            String have = location();
            if (members.degraded()) {
                // The bitmap is what a re-add recovers from; md also refuses bitmap changes now.
                throw new IllegalArgumentException("array " + name + " is degraded: rebuild it before changing its bitmap");
            }
            if (target.kind() == BitmapTarget.Kind.NONE && have.equals("none")) {
                throw new IllegalArgumentException("array " + name + " has no bitmap to remove");
            }
            if (target.location().equals(have)) {
                throw new IllegalArgumentException("array " + name + " already has that bitmap (" + have + ")");
            }
            try {
                intentLog.awaitDrained();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the previous bitmap drained", e);
            }
            long checkpoint = resync.checkpoint();
            long resyncOffset = checkpoint >= geometry.memberSectors() ? ArrayMetadata.IN_SYNC : checkpoint;
            WriteIntentLogBuilder.Built built = WriteIntentLogBuilder.build(target, members, metadata.superblocks(),
                    metadata.events(), resyncOffset, daemonSleepSeconds);
            WriteIntentLog next = built.log();
            try {
                metadata.switchBitmap(next, built.internalBitmapOffset());
            } catch (IOException | RuntimeException e) {
                next.close();
                throw e;
            }
            currentBitmap().ifPresent(old -> {
                daemonSleepSeconds = old.bitmap().daemonSleepSeconds();
                retiredPageWrites.addAndGet(old.bitmap().pageWrites());
                retiredSyncs.addAndGet(old.bitmap().storeSyncs());
            });
            // The new daemon clears idle bits: not before every write the old bitmap counted has ended.
            intentLog.switchTo(next, next instanceof BitmapWriteIntentLog b ? b::startDaemon : () -> { });
            LOG.info(() -> "array " + name + ": write-intent bitmap " + have + " -> " + target.location());
        }
    }
}
