package io.raid5d.core.assembly;

import io.raid5d.core.array.MemberSet;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.List;

/**
 * Members that passed assembly's checks, in role order, with their superblocks. Owns the
 * open member devices until handed to an array or closed.
 *
 * @param bitmapAddress byte address of the internal bitmap on each member, or -1 if none
 */
public record AssembledMembers(MemberSet members, List<Superblock> superblocks, long bitmapAddress)
        implements AutoCloseable {

    public Superblock reference() {
        return superblocks.get(0);
    }

    public boolean hasInternalBitmap() {
        return bitmapAddress >= 0;
    }

    @Override
    public void close() throws IOException {
        members.close();
    }
}
