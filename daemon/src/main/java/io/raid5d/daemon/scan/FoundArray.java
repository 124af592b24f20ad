package io.raid5d.daemon.scan;

import java.util.List;

/**
 * An array found by scanning: its md identity and the devices carrying its superblock, in
 * role order where roles are known (spares and faulty members last).
 *
 * @param rolesFound how many of its roles some found device claims (its own superblock says so,
 *                   fresh or not): fewer than {@code raidDisks} means a member is not there (yet)
 */
public record FoundArray(String uuid, String mdName, int raidDisks, long events, List<String> members, int rolesFound) {

    /** Every role has a device claiming it. */
    public boolean complete() {
        return rolesFound >= raidDisks;
    }
}
