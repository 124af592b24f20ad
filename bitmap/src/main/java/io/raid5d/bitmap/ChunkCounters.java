package io.raid5d.bitmap;

/**
 * The in-memory counters, one {@link BitmapCounter} per bitmap chunk, plus md's "pending" marks:
 * a group of 2048 counters (one md counter page) is marked when one of its counters dropped to 2
 * or less, so a daemon pass looks only at groups that may have something to clear.
 *
 * <p>Not thread-safe: guarded by {@link WriteIntentBitmap}'s state lock.
 */
final class ChunkCounters {
    /** 2048 counters per pending group, as md's PAGE_COUNTER_RATIO for 4 KiB pages. */
    static final int GROUP_SHIFT = 11;

    private final char[] counters;
    private final boolean[] pendingGroup;

    ChunkCounters(long chunks) {
        if (chunks > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bitmap of " + chunks + " chunks is too large");
        }
        counters = new char[(int) chunks];
        pendingGroup = new boolean[(int) ((chunks + (1 << GROUP_SHIFT) - 1) >>> GROUP_SHIFT)];
    }

    int chunks() {
        return counters.length;
    }

    int get(long chunk) {
        return counters[(int) chunk];
    }

    void set(long chunk, int counter) {
        counters[(int) chunk] = (char) counter;
    }

    /** Marks the chunk's group for the next daemon pass. */
    void markPending(long chunk) {
        pendingGroup[(int) (chunk >>> GROUP_SHIFT)] = true;
    }

    int groups() {
        return pendingGroup.length;
    }

    /** Whether the group was pending; unmarks it. */
    boolean takePending(int group) {
        boolean was = pendingGroup[group];
        pendingGroup[group] = false;
        return was;
    }

    boolean isPending(int group) {
        return pendingGroup[group];
    }

    /** First chunk at or after {@code from} with NEEDED or RESYNC set, or -1. */
    long nextFlagged(long from) {
        for (int c = (int) Math.max(0, from); c < counters.length; c++) {
            if ((counters[c] & (BitmapCounter.NEEDED | BitmapCounter.RESYNC)) != 0) {
                return c;
            }
        }
        return -1;
    }
}
