package io.raid5d.core.assembly;

import io.raid5d.core.array.LeftOutMember;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.SpareMember;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.List;

/**
 * Members that passed assembly's checks, in role order, with their superblocks (null for a missing role). Owns the
 * open member devices until handed to an array or closed.
 *
 * @param bitmapAddress byte address of the internal bitmap on each member, or -1 if none
 * @param spares        idle spares of the array found among the devices
 * @param leftOut       devices of the array that assembly left out (closed; named for reports and re-add)
 * @param forced        what --force changed (mdadm's "forcing event count in ..."), one line each
 * @param growResume    the grow in progress on the members (then {@code members} are the new geometry's), or null
 */
public record AssembledMembers(MemberSet members, List<Superblock> superblocks, long bitmapAddress, List<SpareMember> spares,
                               List<LeftOutMember> leftOut, List<String> forced, Raid5Array.GrowResume growResume)
        implements AutoCloseable {

    public AssembledMembers(MemberSet members, List<Superblock> superblocks, long bitmapAddress) {
        this(members, superblocks, bitmapAddress, List.of(), List.of(), List.of(), null);
    }

    /** The superblock of the first present member (they agree on the array fields). */
    public Superblock reference() {
        for (Superblock sb : superblocks) {
            if (sb != null) {
                return sb;
            }
        }
        throw new IllegalStateException("no superblock");
    }

    public boolean hasInternalBitmap() {
        return bitmapAddress >= 0;
    }

    @Override
    public void close() throws IOException {
        try {
            members.close();
        } finally {
            for (SpareMember s : spares) {
                s.device().close();
            }
        }
    }
}
