package io.raid5d.core.array;

import io.raid5d.core.member.MemberSet;
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
 * @param outNotes         per role: why a missing role has no member ("removed", or what assembly
 *                         left out: "out of date: /dev/x (events 3 < 9)"); "" for a role with a member
 */
public record ArrayHealth(List<MemberSet.Slot> slots, List<String> devices, boolean failed, boolean rebuildRunning,
                          long recoveredSectors, long rebuildKiBps, String scrub, long scrubDoneSectors,
                          long mismatchCount, List<Integer> correctedReads,
                          List<String> spares, List<String> faultyDetached, List<String> outNotes) {

    public ArrayHealth(List<MemberSet.Slot> slots, List<String> devices, boolean failed, boolean rebuildRunning,
                       long recoveredSectors, long rebuildKiBps, String scrub, long scrubDoneSectors,
                       long mismatchCount, List<Integer> correctedReads, List<String> spares, List<String> faultyDetached) {
        this(slots, devices, failed, rebuildRunning, recoveredSectors, rebuildKiBps, scrub, scrubDoneSectors, mismatchCount,
                correctedReads, spares, faultyDetached, outNotes(slots, List.of()));
    }

    /** The same moment with the notes of the members assembly left out. */
    public ArrayHealth withLeftOut(List<LeftOutMember> leftOut) {
        return new ArrayHealth(slots, devices, failed, rebuildRunning, recoveredSectors, rebuildKiBps, scrub, scrubDoneSectors,
                mismatchCount, correctedReads, spares, faultyDetached, outNotes(slots, leftOut));
    }

    private static List<String> outNotes(List<MemberSet.Slot> slots, List<LeftOutMember> leftOut) {
        List<String> notes = new java.util.ArrayList<>();
        for (int r = 0; r < slots.size(); r++) {
            String note = "";
            if (slots.get(r) == MemberSet.Slot.MISSING) {
                note = "removed";
                for (LeftOutMember m : leftOut) {
                    if (m.role() == r) {
                        note = m.note();
                    }
                }
            }
            notes.add(note);
        }
        return List.copyOf(notes);
    }

    public boolean degraded() {
        return slots.stream().anyMatch(s -> s != MemberSet.Slot.IN_SYNC);
    }
}
