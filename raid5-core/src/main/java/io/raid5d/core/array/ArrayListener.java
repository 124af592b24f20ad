package io.raid5d.core.array;

/**
 * Hears a running array's state changes (the daemon turns them into monitor events, named as
 * mdadm --monitor names them). Called on engine threads, outside engine locks; must not block
 * for long and must not call back into the array's management methods.
 */
@FunctionalInterface
public interface ArrayListener {
    enum Kind {
        /** A member became faulty ({@code member} names it). */
        FAIL,
        /** The array runs degraded (after a failure, or assembled so). */
        DEGRADED_ARRAY,
        /** More than one member is lost: requests fail with EIO. */
        ARRAY_FAILED,
        SPARE_ADDED,
        REBUILD_STARTED,
        /** {@code percent} = 20, 40, 60, 80. */
        REBUILD_PROGRESS,
        REBUILD_FINISHED,
        /** The rebuilt spare is an active member now. */
        SPARE_ACTIVE,
        CHECK_STARTED,
        CHECK_FINISHED,
        /** A grow to more members started (or resumed); mdadm --monitor calls it RebuildStarted too. */
        RESHAPE_STARTED,
        /** {@code percent} = 20, 40, 60, 80 of the grow. */
        RESHAPE_PROGRESS,
        RESHAPE_FINISHED
    }

    void onArrayEvent(Kind kind, String member, int percent);
}
