package io.raid5d.daemon.array;

import io.raid5d.core.array.BitmapTarget;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.daemon.control.ControlException;
import java.io.IOException;

/**
 * {@code grow NAME --bitmap internal|none|FILE}: adds, removes or moves a running array's
 * write-intent bitmap through {@link ManagedArray#switchWriteIntentLog}, turning the engine's
 * refusals into control errors. Thread-safe (the array serialises switches).
 */
public final class BitmapGrower {
    private final ManagedArray array;

    public BitmapGrower(ManagedArray array) {
        this.array = array;
    }

    public void grow(String bitmap) throws ControlException {
        BitmapTarget target;
        try {
            target = BitmapTarget.parse(bitmap);
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage());
        }
        try {
            array.switchWriteIntentLog(target);
        } catch (IllegalArgumentException e) {
            throw new ControlException("grow --bitmap " + array.name() + ": " + e.getMessage());
        } catch (IOException e) {
            throw new ControlException("grow --bitmap " + array.name() + " failed: " + e.getMessage());
        }
    }

    /** Where the bitmap is now: internal, none, or the file's path. */
    public String location() {
        return array.bitmapLocation();
    }
}
