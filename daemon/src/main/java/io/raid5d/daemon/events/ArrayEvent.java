package io.raid5d.daemon.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One event about one array, optionally naming a member.
 *
 * @param percent for progress events (20, 40, 60, 80); 0 otherwise
 * @param member  the member concerned, or null
 */
public record ArrayEvent(EventType type, int percent, String array, String member) {

    public ArrayEvent {
        Objects.requireNonNull(type);
        Objects.requireNonNull(array);
    }

    public static ArrayEvent of(EventType type, String array) {
        return new ArrayEvent(type, 0, array, null);
    }

    public static ArrayEvent progress(EventType type, int percent, String array) {
        return new ArrayEvent(type, percent, array, null);
    }

    /** The event's name as printed and passed to programs: "Assembled", "Resync40", "Fail". */
    public String name() {
        return type.hasPercent() ? type.label() + percent : type.label();
    }

    /** EVENT ARRAY [MEMBER]: the words of the monitor line and of a --program's arguments. */
    public List<String> words() {
        List<String> w = new ArrayList<>(List.of(name(), array));
        if (member != null) {
            w.add(member);
        }
        return w;
    }
}
