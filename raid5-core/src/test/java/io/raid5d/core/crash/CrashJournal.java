package io.raid5d.core.crash;

import java.util.ArrayList;
import java.util.List;

/**
 * The ordered stream of what reached the storage of an array: completed writes and the
 * start and end of syncs, per device. A crash at any point of this stream is what the
 * crash simulation replays. Appends come from many I/O threads; the monitor orders them.
 */
final class CrashJournal {
    enum Kind { WRITE, SYNC_START, SYNC_DONE }

    /** One journal entry; {@code data} is a copy of the bytes a WRITE wrote. */
    record Event(int index, Kind kind, int device, long offset, byte[] data) {
    }

    private final List<Event> events = new ArrayList<>(); // guarded by this
    private boolean recording = true; // guarded by this

    synchronized void write(int device, long offset, byte[] data) {
        if (recording) {
            events.add(new Event(events.size(), Kind.WRITE, device, offset, data));
        }
    }

    synchronized int syncStart(int device) {
        if (!recording) {
            return -1;
        }
        events.add(new Event(events.size(), Kind.SYNC_START, device, 0, null));
        return events.size() - 1;
    }

    synchronized void syncDone(int device, int startIndex) {
        if (recording && startIndex >= 0) {
            events.add(new Event(events.size(), Kind.SYNC_DONE, device, startIndex, null));
        }
    }

    /** Stops recording (the array is closing: what follows is not part of the run under test). */
    synchronized void stop() {
        recording = false;
    }

    /** How many events the journal holds now: a cut at this position or later includes them all. */
    synchronized int position() {
        return events.size();
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }
}
