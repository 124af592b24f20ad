package io.raid5d.daemon.array;

import io.raid5d.core.array.RaidArray;

/**
 * Picks the {@link ArrayControl} for an engine. This is the one place to change when the
 * engine gains degraded mode, scrubbing, the bitmap engine or the stripe cache: return an
 * adapter that calls the engine for the features it has.
 */
public final class ArrayControls {
    private ArrayControls() {
    }

    public static ArrayControl forEngine(RaidArray engine) {
        if (engine instanceof io.raid5d.core.array.Raid5Array array) {
            return new EngineArrayControl(array);
        }
        return new UnavailableArrayControl(engine.name());
    }
}
