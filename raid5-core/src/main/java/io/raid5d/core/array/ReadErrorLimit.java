package io.raid5d.core.array;

import io.raid5d.core.member.MemberDevice;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * md's read error limit (max_corrected_read_errors, with check_decay_read_errors): each member
 * device counts its read errors; the count is halved for every whole hour since the member's
 * previous error, so a disk with a rare bad sector is repaired for years while one that keeps
 * erring is failed once it passes the limit. Counts belong to the device, not the role: a spare
 * that takes the role starts from zero.
 *
 * <p>Lock: the object's monitor guards {@code counts}; called on member-I/O threads.
 */
final class ReadErrorLimit {
    private static final long HOUR_NANOS = 3600L * 1_000_000_000L;

    private final int max;
    private final LongSupplier nanoClock;
    private final Map<MemberDevice, Count> counts = new IdentityHashMap<>(); // guarded by this

    private static final class Count {
        int errors;
        long lastNanos;
    }

    ReadErrorLimit(int max, LongSupplier nanoClock) {
        this.max = max;
        this.nanoClock = nanoClock;
    }

    int max() {
        return max;
    }

    /** Counts one read error of {@code device} after decaying its count; returns the new count. */
    synchronized int record(MemberDevice device) {
        long now = nanoClock.getAsLong();
        Count c = counts.get(device);
        if (c == null) {
            c = new Count();
            c.lastNanos = now;
            counts.put(device, c);
        } else {
            long hours = Math.max(0, now - c.lastNanos) / HOUR_NANOS;
            c.errors = hours >= Integer.SIZE ? 0 : c.errors >>> hours;
            c.lastNanos = now;
        }
        return ++c.errors;
    }

    /** The current count (without decay), for reports. */
    synchronized int errors(MemberDevice device) {
        Count c = counts.get(device);
        return c == null ? 0 : c.errors;
    }
}
