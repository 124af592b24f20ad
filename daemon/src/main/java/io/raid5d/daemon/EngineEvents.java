package io.raid5d.daemon;

import io.raid5d.core.array.ArrayListener;
import io.raid5d.daemon.events.ArrayEvent;
import io.raid5d.daemon.events.EventBus;
import io.raid5d.daemon.events.EventType;

/** Turns the engine's state changes into monitor events (publishing never blocks). */
final class EngineEvents implements ArrayListener {
    private final String array;
    private final EventBus bus;

    EngineEvents(String array, EventBus bus) {
        this.array = array;
        this.bus = bus;
    }

    @Override
    public void onArrayEvent(Kind kind, String member, int percent) {
        EventType type = switch (kind) {
            case FAIL -> EventType.FAIL;
            case DEGRADED_ARRAY, ARRAY_FAILED -> EventType.DEGRADED_ARRAY;
            case SPARE_ADDED -> null; // mdadm has no event for it; RebuildStarted follows
            case REBUILD_STARTED -> EventType.REBUILD_STARTED;
            case REBUILD_PROGRESS -> EventType.REBUILD_PROGRESS;
            case REBUILD_FINISHED -> EventType.REBUILD_FINISHED;
            case SPARE_ACTIVE -> EventType.SPARE_ACTIVE;
            case CHECK_STARTED -> EventType.CHECK_STARTED;
            case CHECK_FINISHED -> EventType.CHECK_FINISHED;
            // mdadm --monitor names a reshape's start, steps and end as it names a rebuild's (both are
            // md's sync progress): RebuildStarted, Rebuild20..80, RebuildFinished
            case RESHAPE_STARTED -> EventType.REBUILD_STARTED;
            case RESHAPE_PROGRESS -> EventType.REBUILD_PROGRESS;
            case RESHAPE_FINISHED -> EventType.REBUILD_FINISHED;
        };
        if (type != null) {
            bus.publish(new ArrayEvent(type, type.hasPercent() ? percent : 0, array, member));
        }
    }
}
