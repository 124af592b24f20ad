package io.raid5d.core.array;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.raid5d.bitmap.format.BitmapSuperblock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A running array as the daemon manages it: the I/O of {@link RaidArray} plus what mdadm's
 * verbs and /proc/mdstat need (health, member changes, scrub, the bitmap, sync speed, meters).
 * The daemon holds arrays by this interface and never looks behind it.
 */
public interface ManagedArray extends RaidArray, MeterBinder {

    /** The degraded-mode side of the state: slots, rebuild and scrub progress, spares, why a role is out. */
    ArrayHealth health();

    /** The devices assembly left out (out of date, recorded faulty or removed). */
    List<LeftOutMember> leftOut();

    /** "internal", "none" or the bitmap file's path. */
    String bitmapLocation();

    /** The bitmap's header as it is now, if the array has a bitmap. */
    Optional<BitmapSuperblock> bitmapHeader();

    /** md's fail: the member is recorded faulty on the others before this returns. */
    void failMember(String member) throws ArrayOperationException, IOException;

    /** md's remove of a faulty member or an idle spare. */
    void removeMember(String member) throws ArrayOperationException, IOException;

    /** md's add: rebuilt into the missing role, or kept as an idle hot spare. */
    void addSpare(String device) throws ArrayOperationException, IOException;

    /** md's re-add through the bitmap. */
    void reAddMember(String device) throws ArrayOperationException, IOException;

    /** md's check ({@code repair} false) or repair. */
    void startScrub(boolean repair) throws ArrayOperationException;

    /** md's grow --bitmap: internal, none or a new file. */
    void switchWriteIntentLog(BitmapTarget target) throws IOException;

    /** md's sync_speed_min / sync_speed_max (KiB/s per member; max 0 = unlimited) for rebuilds and scrubs. */
    void setSyncSpeed(long minKiBps, long maxKiBps);

    /** Hears member failures, rebuild and scrub progress. */
    void addListener(ArrayListener listener);

    /**
     * md's grow --raid-devices: the array grows onto idle spares while it serves I/O (an online
     * reshape in md's format); returns once the grow is recorded on the members and running.
     */
    void grow(int raidDisks) throws ArrayOperationException, IOException;

    /**
     * md's grow --size max: the members' used size becomes what the smallest has room for; the
     * new rows are resynced in the background. Returns the array's new size in bytes.
     */
    long growSize() throws ArrayOperationException, IOException;

    /** The grow in progress, if any. */
    Optional<ReshapeStatus> reshape();

    /** Read-modify-write passes so far. */
    long readModifyWrites();

    /** Reconstruct-write passes so far (full-stripe writes included). */
    long reconstructWrites();
}
