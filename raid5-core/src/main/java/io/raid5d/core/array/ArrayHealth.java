package io.raid5d.core.array;

import java.util.List;

/**
 * The degraded-mode side of an array's state, taken at one moment, for {@code detail}/{@code status}.
 *
 * @param slots            state of each role (IN_SYNC, FAULTY, MISSING, REBUILDING)
 * @param devices          device path of each role ("missing" when none)
 * @param rebuildRunning   a spare is being rebuilt
 * @param recoveredSectors member sectors of the spare already rebuilt
 * @param rebuildKiBps     rebuild speed (KiB/s per member) since it started
 * @param scrub            "check", "repair" or "idle"
 * @param scrubDoneSectors member sectors the running (or last) scrub covered
 * @param mismatchCount    md's mismatch_cnt: sectors found inconsistent by the last check/repair
 * @param correctedReads   md's cnt_corrected_read per role
 * @param spares           idle hot spares, in the order they would be used
 * @param faultyDetached   faulty members a spare replaced, attached until removed
 */
public record ArrayHealth(List<MemberSet.Slot> slots, List<String> devices, boolean failed, boolean rebuildRunning,
                          long recoveredSectors, long rebuildKiBps, String scrub, long scrubDoneSectors,
                          long mismatchCount, List<Integer> correctedReads,
                          List<String> spares, List<String> faultyDetached) {

    public boolean degraded() {
        return slots.stream().anyMatch(s -> s != MemberSet.Slot.IN_SYNC);
    }
}
