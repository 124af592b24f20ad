package io.raid5d.daemon.scan;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.util.Optional;

/** Reads the md v1.2 superblock (and internal bitmap header) of a candidate device; writes nothing. */
public final class SuperblockProbe {
    private SuperblockProbe() {
    }

    public static ProbedMember probe(String path) {
        try (MemberDevice dev = MemberDevices.openForInspection(path)) { // no lock, no claim: only reads
            Superblock sb = SuperblockIo.readReshaping(dev); // a member mid-grow comes back at boot too
            Optional<BitmapSuperblock> bitmap = Optional.empty();
            if (sb.hasBitmap()) {
                bitmap = Optional.of(SuperblockIo.readInternalBitmap(dev, sb));
            }
            return new ProbedMember(path, Optional.of(sb), bitmap, null);
        } catch (MemberOpenException | SuperblockException | IOException | RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            return new ProbedMember(path, Optional.empty(), Optional.empty(),
                    m.startsWith(path) ? m.substring(path.length()).replaceFirst("^: ", "") : m);
        }
    }
}
