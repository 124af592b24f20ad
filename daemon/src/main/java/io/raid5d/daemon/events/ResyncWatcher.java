package io.raid5d.daemon.events;

import io.raid5d.core.array.ArrayStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns successive status snapshots of the arrays into resync events: ResyncStarted when an
 * array is seen needing a resync, Resync20/40/60/80 as it passes those marks, ResyncFinished
 * when it is in sync. The engine exposes progress only through status(), so the daemon
 * observes it periodically; a resync that runs past several marks between two observations
 * still reports each mark once, in order.
 *
 * <p>Thread ownership: {@link #observe} is called by one thread (the daemon's status ticker).
 */
public final class ResyncWatcher {
    private final EventBus bus;
    private final Map<String, Track> tracks = new HashMap<>(); // owned by the observing thread

    private static final class Track {
        boolean active;
        int marks; // 20% marks already reported
    }

    public ResyncWatcher(EventBus bus) {
        this.bus = bus;
    }

    public void observe(List<ArrayStatus> arrays) {
        Set<String> present = new HashSet<>();
        for (ArrayStatus s : arrays) {
            present.add(s.name());
            Track t = tracks.computeIfAbsent(s.name(), k -> new Track());
            boolean needsSync = s.resyncDoneSectors() < s.memberSectors();
            if (!t.active && needsSync) {
                t.active = true;
                t.marks = s.resyncPercentTenths() / 200;
                bus.publish(ArrayEvent.of(EventType.RESYNC_STARTED, s.name()));
            }
            if (!t.active) {
                continue;
            }
            int marks = needsSync ? Math.min(4, s.resyncPercentTenths() / 200) : 4;
            while (t.marks < marks) {
                t.marks++;
                bus.publish(ArrayEvent.progress(EventType.RESYNC_PROGRESS, t.marks * 20, s.name()));
            }
            if (!needsSync) {
                t.active = false;
                bus.publish(ArrayEvent.of(EventType.RESYNC_FINISHED, s.name()));
            }
        }
        tracks.keySet().retainAll(present);
    }
}
