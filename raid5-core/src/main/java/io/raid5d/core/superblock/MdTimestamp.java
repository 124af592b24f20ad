package io.raid5d.core.superblock;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * md's superblock time stamps (ctime, utime): the low 40 bits are seconds since the epoch, the
 * high 24 bits microseconds (or zero).
 */
public final class MdTimestamp {
    private static final long SECONDS_MASK = (1L << 40) - 1;
    /** C's ctime(3) layout without the newline: "Sat Nov 21 10:11:14 2026", day padded with a space. */
    private static final DateTimeFormatter CTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ENGLISH);

    private MdTimestamp() {
    }

    public static long seconds(long raw) {
        return raw & SECONDS_MASK;
    }

    public static int micros(long raw) {
        return (int) (raw >>> 40);
    }

    public static Instant toInstant(long raw) {
        return Instant.ofEpochSecond(seconds(raw), micros(raw) * 1000L);
    }

    /** Packs an instant, keeping microseconds. */
    public static long fromInstant(Instant t) {
        long micros = t.getNano() / 1000L;
        return (t.getEpochSecond() & SECONDS_MASK) | (micros << 40);
    }

    /** Packs whole seconds only, as mdadm does when it creates an array. */
    public static long fromSeconds(long epochSeconds) {
        return epochSeconds & SECONDS_MASK;
    }

    /** The seconds part formatted as mdadm prints it (C ctime in the given zone). */
    public static String format(long raw, ZoneId zone) {
        return CTIME.format(Instant.ofEpochSecond(seconds(raw)).atZone(zone));
    }
}
