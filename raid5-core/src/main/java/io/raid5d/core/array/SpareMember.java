package io.raid5d.core.array;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;

/** A device assembly found whose superblock says it is an idle spare (dev_roles 0xffff) of the array. */
public record SpareMember(MemberDevice device, Superblock superblock) {
}
