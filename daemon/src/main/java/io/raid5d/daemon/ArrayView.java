package io.raid5d.daemon;

import io.raid5d.core.array.ArrayHealth;
import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.array.ReshapeStatus;
import io.raid5d.daemon.array.BitmapInfo;
import java.util.Optional;

/** What the reports show of one array: the engine's status plus what the daemon knows around it. */
record ArrayView(ArrayStatus status, Optional<BitmapInfo> bitmap, long resyncSectorsPerSecond,
                 Optional<ArrayHealth> health, Optional<ReshapeStatus> reshape) {
    ArrayView(ArrayStatus status, Optional<BitmapInfo> bitmap, long resyncSectorsPerSecond) {
        this(status, bitmap, resyncSectorsPerSecond, Optional.empty(), Optional.empty());
    }
}
