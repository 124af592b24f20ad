package io.raid5d.daemon;

import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.core.array.RaidArray;
import io.raid5d.daemon.array.ArrayControl;
import io.raid5d.daemon.array.BitmapInfo;
import io.raid5d.daemon.array.ResyncRate;
import io.raid5d.daemon.export.RaidBlockExport;
import java.util.Optional;

/**
 * One array the daemon runs: the engine, the metered view the NBD export uses, its management
 * control, its bitmap as it is now, the resync rate the status ticker keeps, and
 * the in-sync sectors at assembly (where a resync started).
 */
record RunningArray(ManagedArray engine, RaidArray served, RaidBlockExport export, ArrayControl control,
                    ResyncRate resyncRate, long resyncFromSectors) {

    /** The write-intent bitmap the array has now (it may change with grow --bitmap). */
    Optional<BitmapInfo> bitmap() {
        return engine.bitmapHeader().map(h -> BitmapInfo.of(engine.bitmapLocation(), h));
    }

    String name() {
        return engine.name();
    }

    ArrayView view() {
        ArrayStatus s = engine.status();
        return new ArrayView(s, bitmap(), s.resyncRunning() ? resyncRate.sectorsPerSecond() : 0,
                Optional.of(engine.health()), engine.reshape());
    }
}
