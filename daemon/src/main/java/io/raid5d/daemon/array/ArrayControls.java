package io.raid5d.daemon.array;

import io.raid5d.core.array.ManagedArray;

/** The {@link ArrayControl} of a managed array: its verbs, with grow --bitmap through {@link BitmapGrower}. */
public final class ArrayControls {
    private ArrayControls() {
    }

    public static ArrayControl forEngine(ManagedArray engine) {
        return new EngineArrayControl(engine);
    }
}
