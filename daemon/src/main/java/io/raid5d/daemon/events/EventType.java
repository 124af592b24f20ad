package io.raid5d.daemon.events;

/**
 * What {@code raid5 monitor} reports, named as mdadm --monitor names its events where md has
 * one. Today the daemon emits ASSEMBLED, STOPPED and the RESYNC_* events; the others belong to
 * degraded mode, spares and rebuild (issue #5) and are emitted by the engine once it has them.
 */
public enum EventType {
    ASSEMBLED("Assembled"),
    STOPPED("Stopped"),
    RESYNC_STARTED("ResyncStarted"),
    /** Every 20% of a resync: Resync20, Resync40, Resync60, Resync80. */
    RESYNC_PROGRESS("Resync"),
    RESYNC_FINISHED("ResyncFinished"),
    FAIL("Fail"),
    FAIL_SPARE("FailSpare"),
    DEGRADED_ARRAY("DegradedArray"),
    SPARE_ACTIVE("SpareActive"),
    SPARES_MISSING("SparesMissing"),
    DEVICE_DISAPPEARED("DeviceDisappeared"),
    REBUILD_STARTED("RebuildStarted"),
    /** Every 20% of a rebuild: Rebuild20 ... Rebuild80, as mdadm. */
    REBUILD_PROGRESS("Rebuild"),
    REBUILD_FINISHED("RebuildFinished"),
    CHECK_STARTED("CheckStarted"),
    CHECK_FINISHED("CheckFinished"),
    /** Sent once per running array when a monitor starts with --test, as mdadm --monitor --test. */
    TEST_MESSAGE("TestMessage");

    private final String label;

    EventType(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public boolean hasPercent() {
        return this == RESYNC_PROGRESS || this == REBUILD_PROGRESS;
    }
}
