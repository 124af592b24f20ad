package io.raid5d.core.assembly;

import io.raid5d.core.array.MemberSet;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.List;

/**
 * Members that passed assembly's checks, in role order, with their superblocks (null for a missing role). Owns the
 * open member devices until handed to an array or closed.
 *
 * @param bitmapAddress byte address of the internal bitmap on each member, or -1 if none
 * @param spares        idle spares of the array found among the devices
 */
public record AssembledMembers(MemberSet members, List<Superblock> superblocks, long bitmapAddress, List<SpareMember> spares)
        implements AutoCloseable {

    public AssembledMembers(MemberSet members, List<Superblock> superblocks, long bitmapAddress) {
        this(members, superblocks, bitmapAddress, List.of());
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
