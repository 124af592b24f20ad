package io.raid5d.daemon.array;

/**
 * Resync speed from periodic samples of the done-sector count: the rate over a window that
 * restarts every {@link #WINDOW_NANOS}, like md's "speed=" in /proc/mdstat.
 *
 * <p>Thread ownership: {@link #sample} is called by the status ticker only; {@link #sectorsPerSecond}
 * by anyone (volatile).
 */
public final class ResyncRate {
    static final long WINDOW_NANOS = 10_000_000_000L;

    private long anchorSectors = -1; // ticker thread only
    private long anchorNanos;
    private volatile long sectorsPerSecond;

    public void sample(long doneSectors, boolean running, long nowNanos) {
        if (!running) {
            anchorSectors = -1;
            sectorsPerSecond = 0;
            return;
        }
        if (anchorSectors < 0 || doneSectors < anchorSectors) {
            anchorSectors = doneSectors;
            anchorNanos = nowNanos;
            return;
        }
        long elapsed = nowNanos - anchorNanos;
        if (elapsed > 0 && doneSectors > anchorSectors) {
            sectorsPerSecond = (long) ((doneSectors - anchorSectors) * 1e9 / elapsed);
        }
        if (elapsed > WINDOW_NANOS) {
            anchorSectors = doneSectors;
            anchorNanos = nowNanos;
        }
    }

    /** 0 while unknown or idle. */
    public long sectorsPerSecond() {
        return sectorsPerSecond;
    }
}
