package io.raid5d.bitmap;

import java.util.Locale;

/**
 * md's 16-bit per-chunk counter ({@code bitmap_counter_t}), as {@link WriteIntentBitmap} keeps it.
 *
 * <pre>
 * bit 15      NEEDED  the chunk must be resynced before its bit may be cleared
 * bit 14      RESYNC  a resync of the chunk is in progress
 * bits 0..13  COUNT   0  bit clear (in memory)
 *                     1  bit set, no writes, cleared by the next daemon pass
 *                     2  bit set, no writes, becomes 1 on the next daemon pass
 *                     2 + n   bit set, n writes in flight (n >= 1), up to COUNTER_MAX
 * </pre>
 *
 * The first write to a chunk at count 0 sets its bit (the page becomes dirty) and goes to 3; a
 * write arriving at count 1 or 2 also goes to 3 (the bit is still set). The last endWrite brings
 * the count back to 2. The daemon only touches counters whose whole value is 1 or 2, so a NEEDED
 * or RESYNC flag keeps a bit set however idle the chunk is.
 */
public final class BitmapCounter {
    public static final int NEEDED = 0x8000;
    public static final int RESYNC = 0x4000;
    /** Largest count; a write to a chunk at this count must wait (md's COUNTER_MAX). */
    public static final int COUNTER_MAX = 0x3fff;
    /** Count of a set bit with no writes in flight, before the first daemon pass. */
    public static final int IDLE = 2;
    /** Count of a set bit that the next daemon pass clears. */
    public static final int CLEAR_NEXT = 1;

    private BitmapCounter() {
    }

    public static int count(int counter) {
        return counter & COUNTER_MAX;
    }

    public static boolean isNeeded(int counter) {
        return (counter & NEEDED) != 0;
    }

    public static boolean isResync(int counter) {
        return (counter & RESYNC) != 0;
    }

    /** Writes in flight to the chunk. */
    public static int writesInFlight(int counter) {
        int n = count(counter);
        return n > IDLE ? n - IDLE : 0;
    }

    /** "0x8002 (NEEDED, count 2)": for failure messages. */
    public static String describe(int counter) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "0x%04x (", counter));
        if (isNeeded(counter)) {
            s.append("NEEDED, ");
        }
        if (isResync(counter)) {
            s.append("RESYNC, ");
        }
        return s.append("count ").append(count(counter)).append(')').toString();
    }
}
