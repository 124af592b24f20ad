package io.raid5d.daemon.scan;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.superblock.Superblock;
import java.util.Optional;

/**
 * What one candidate device holds: a superblock (with its internal bitmap header, if any), or
 * the reason it is not usable as a member.
 */
public record ProbedMember(String path, Optional<Superblock> superblock, Optional<BitmapSuperblock> bitmap,
                           String problem) {

    public boolean usable() {
        return superblock.isPresent();
    }
}
