package io.raid5d.core.array;

/**
 * A grow in progress, for {@code status}/{@code detail} (md's {@code reshape = 37.5% ...} line).
 *
 * @param fromDisks     members before the grow
 * @param toDisks       members after it
 * @param doneSectors   array sectors copied to the new geometry
 * @param totalSectors  array sectors the new geometry holds when done
 * @param speedKiBps    KiB/s written per member since the sweep started
 * @param running       the copy runs now (false: stopped by an error, or not resumed)
 */
public record ReshapeStatus(int fromDisks, int toDisks, long doneSectors, long totalSectors, long speedKiBps,
                            boolean running) {

    /** Progress in tenths of a percent. */
    public int percentTenths() {
        return totalSectors == 0 ? 1000 : (int) (doneSectors * 1000 / totalSectors);
    }
}
