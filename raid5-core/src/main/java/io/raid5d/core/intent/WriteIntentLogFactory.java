package io.raid5d.core.intent;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.util.List;

/** Opens the write-intent log of an assembled array (the bitmap component plugs in here). */
@FunctionalInterface
public interface WriteIntentLogFactory {
    /** Called once per assembly, before the array is started; {@code superblocks} are by role. */
    WriteIntentLog open(MemberSet members, List<Superblock> superblocks) throws IOException;
}
