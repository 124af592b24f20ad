package io.raid5d.core.resync;

import io.raid5d.core.member.MemberSet;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Compares one chunk row's parity with the XOR of its data chunks and optionally rewrites it.
 * Counts mismatches as md's mismatch_cnt does: in 512-byte sectors, per 4 KiB block that
 * differs. Owns its buffers: one instance per thread.
 */
public final class RowParityChecker {
    private static final int BLOCK = 4096;
    private final MemberSet members;
    private final Geometry geometry;
    private final ByteBuffer computed;
    private final ByteBuffer chunk;

    public RowParityChecker(MemberSet members) {
        this.members = members;
        this.geometry = members.geometry();
        this.computed = ByteBuffer.allocateDirect(geometry.chunkBytes() + 4096).alignedSlice(4096).limit(geometry.chunkBytes()).slice();
        this.chunk = ByteBuffer.allocateDirect(geometry.chunkBytes() + 4096).alignedSlice(4096).limit(geometry.chunkBytes()).slice();
    }

    /**
     * Checks row {@code row}; if {@code repair}, writes the computed parity where it differs.
     *
     * @return mismatched sectors found in this row (before any repair)
     */
    public long check(long row, boolean repair) throws IOException {
        int first = geometry.dataMember(row, 0);
        members.member(first).read(members.rowAddress(first, row), computed.clear());
        computed.clear();
        for (int j = 1; j < geometry.dataDisks(); j++) {
            int member = geometry.dataMember(row, j);
            members.member(member).read(members.rowAddress(member, row), chunk.clear());
            Parity.xorInto(computed, chunk.clear());
        }
        int parityMember = geometry.parityDisk(row);
        long address = members.rowAddress(parityMember, row);
        members.member(parityMember).read(address, chunk.clear());
        long mismatched = 0;
        int chunkBytes = geometry.chunkBytes();
        for (int off = 0; off < chunkBytes; off += BLOCK) {
            int len = Math.min(BLOCK, chunkBytes - off);
            if (computed.duplicate().position(off).limit(off + len)
                    .equals(chunk.duplicate().position(off).limit(off + len))) {
                continue;
            }
            mismatched += len / 512;
            if (repair) {
                members.member(parityMember).write(address + off, computed.duplicate().position(off).limit(off + len));
            }
        }
        return mismatched;
    }
}
