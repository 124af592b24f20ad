package io.raid5d.core.array;

import java.util.List;

/**
 * What {@code raid5 detail} and {@code status} show about one array, taken at one moment.
 *
 * @param resyncDoneSectors member sectors already in sync; equal to {@code memberSectors} when idle
 */
public record ArrayStatus(
        String name,
        String uuid,
        String state,
        int raidDisks,
        int chunkBytes,
        String layout,
        long sizeBytes,
        long memberSectors,
        long events,
        List<String> members,
        boolean resyncRunning,
        long resyncDoneSectors) {

    public int resyncPercentTenths() {
        return memberSectors == 0 ? 1000 : (int) (resyncDoneSectors * 1000 / memberSectors);
    }
}
