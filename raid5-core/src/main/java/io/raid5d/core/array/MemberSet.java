package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The members of an assembled array in role order, and where each chunk row lives on them.
 * Each member holds row {@code r}'s chunk at {@code r * chunk} bytes after its md data offset.
 */
public final class MemberSet implements AutoCloseable {
    private final Geometry geometry;
    private final MemberDevice[] byRole;
    private final long[] dataOffsetBytes; // by role: md lets each member have its own

    public MemberSet(Geometry geometry, List<MemberDevice> byRole, long[] dataOffsetSectors) {
        if (byRole.size() != geometry.raidDisks() || dataOffsetSectors.length != byRole.size()) {
            throw new IllegalArgumentException("need " + geometry.raidDisks() + " members, got " + byRole.size());
        }
        this.geometry = geometry;
        this.byRole = byRole.toArray(new MemberDevice[0]);
        this.dataOffsetBytes = new long[dataOffsetSectors.length];
        for (int i = 0; i < dataOffsetSectors.length; i++) {
            this.dataOffsetBytes[i] = dataOffsetSectors[i] * 512L;
        }
    }

    public Geometry geometry() {
        return geometry;
    }

    public MemberDevice member(int role) {
        return byRole[role];
    }

    public int count() {
        return byRole.length;
    }

    public List<String> paths() {
        List<String> paths = new ArrayList<>(byRole.length);
        for (MemberDevice m : byRole) {
            paths.add(m.path());
        }
        return paths;
    }

    /** Byte address on member {@code role} of the first byte of its chunk in row {@code row}. */
    public long rowAddress(int role, long row) {
        return dataOffsetBytes[role] + row * geometry.chunkBytes();
    }

    public void syncAll() throws IOException {
        for (MemberDevice m : byRole) {
            m.sync();
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (MemberDevice m : byRole) {
            try {
                m.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
