package io.raid5d.core.array;

import io.raid5d.core.superblock.Superblock;

/**
 * A device that carries the array's superblock but that assembly left out, as mdadm and the
 * kernel do: the freshest superblock decides, and a member it does not vouch for does not
 * take part. The array starts without it (degraded) when it can.
 *
 * @param path          the device
 * @param role          the role it would take: the one the freshest superblock records for it
 *                      if that is an active role, else its own
 * @param devNumber     its dev_number (its slot in dev_roles)
 * @param events        its own event count
 * @param freshestEvents the event count of the freshest member
 * @param freshestPath  the freshest member (the one whose superblock decided)
 * @param recorded      what the freshest superblock's dev_roles says of its slot (a role, 0xfffe
 *                      faulty, 0xffff removed)
 * @param reason        why it is out
 */
public record LeftOutMember(String path, int role, int devNumber, long events, long freshestEvents,
                            String freshestPath, int recorded, Reason reason) {

    /** Why a member is left out; {@link #word()} is what detail/status print. */
    public enum Reason {
        /** Its events are older than the freshest by more than md's margin of one. */
        OUT_OF_DATE("out of date"),
        /** The freshest superblock records it as failed (dev_roles 0xfffe). */
        FAULTY("faulty"),
        /** The freshest superblock records its slot as unused (0xffff): removed, or absent at an earlier start. */
        REMOVED("removed"),
        /** Its own superblock says the freshest member failed (split brain): mdadm ignores it. */
        REPORTS_FRESHEST_FAILED("conflicting");

        private final String word;

        Reason(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * The log line, in mdadm's and the kernel's words ("possibly out of date", "kicking non-fresh
     * ... from array!", "ignoring ... as it reports ... as failed").
     */
    public String describe() {
        String slot = "as " + role;
        return switch (reason) {
            case OUT_OF_DATE -> path + " " + slot + " (possibly out of date): events " + events + ", " + freshestPath
                    + " has " + freshestEvents + " (" + recordedWords() + "); kicking non-fresh " + path + " from array!";
            case FAULTY -> path + " " + slot + " is recorded faulty by " + freshestPath + " (events " + freshestEvents
                    + ", its own " + events + "); kicking faulty " + path + " from array!";
            case REMOVED -> path + " " + slot + " is recorded removed by " + freshestPath + " (events " + freshestEvents
                    + ", its own " + events + "); kicking removed " + path + " from array!";
            case REPORTS_FRESHEST_FAILED -> "ignoring " + path + " as it reports " + freshestPath + " as failed (events "
                    + events + ", " + freshestPath + " has " + freshestEvents + ")";
        };
    }

    /** One phrase for detail/status: "out of date: /dev/x (events 3 < 9)". */
    public String note() {
        return reason.word() + ": " + path + " (events " + events + (events == freshestEvents ? "" : " < " + freshestEvents) + ")";
    }

    /**
     * Whether an automatic re-add may be tried: the member was only absent (or removed), never
     * recorded faulty, and does not contradict the freshest member. Whether the bitmap covers the
     * time it was away is decided by the re-add itself.
     */
    public boolean mayReAddAutomatically() {
        return recorded != Superblock.ROLE_FAULTY && reason != Reason.REPORTS_FRESHEST_FAILED; // FAULTY means recorded faulty
    }

    private String recordedWords() {
        if (recorded == Superblock.ROLE_FAULTY) {
            return "it records this member as faulty";
        }
        if (recorded == Superblock.ROLE_SPARE) {
            return "it records this member as removed";
        }
        return "it missed " + (freshestEvents - events) + " updates";
    }
}
