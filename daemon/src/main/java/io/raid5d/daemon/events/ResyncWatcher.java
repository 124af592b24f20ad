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
 * still reports each mark once, in order, counting from where the resync started (an array
 * assembled with a resync checkpoint at 45% reports Resync60 and Resync80 only).
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

    /**
     * One observation of one array.
     *
     * @param resyncFromSectors where its resync started (the in-sync sectors when it was assembled)
     */
    public record Sighting(ArrayStatus status, long resyncFromSectors) {
    }

    public void observe(List<Sighting> arrays) {
        Set<String> present = new HashSet<>();
        for (Sighting sighting : arrays) {
            ArrayStatus s = sighting.status();
            present.add(s.name());
            Track t = tracks.get(s.name());
            boolean needsSync = s.resyncDoneSectors() < s.memberSectors();
            if (t == null) {
                // First sight: a resync that started at assembly counts, even if already done.
                t = new Track();
                tracks.put(s.name(), t);
                if (sighting.resyncFromSectors() < s.memberSectors()) {
                    start(t, s, sighting.resyncFromSectors());
                }
            } else if (!t.active && needsSync) {
                start(t, s, s.resyncDoneSectors());
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

    private void start(Track t, ArrayStatus s, long fromSectors) {
        t.active = true;
        t.marks = s.memberSectors() == 0 ? 0 : (int) (fromSectors * 5 / s.memberSectors());
        bus.publish(ArrayEvent.of(EventType.RESYNC_STARTED, s.name()));
    }
}
