package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Member files with fresh md superblocks, made through the same plan {@code raid5 create} uses. */
public final class TestArrays {
    private TestArrays() {
    }

    /**
     * Creates {@code count} sparse member files {@code prefix0.img ...} of {@code fileBytes} each
     * in {@code dir} and writes the superblocks (and bitmap) that {@code request} plans onto them.
     */
    public static List<Path> create(Path dir, String prefix, int count, long fileBytes, NewArrayPlan.Request request)
            throws Exception {
        List<Path> paths = new ArrayList<>();
        List<MemberDevice> devices = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                Path p = dir.resolve(prefix + i + ".img");
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(fileBytes);
                }
                paths.add(p);
                MemberDevice d = MemberDevices.open(p, false);
                devices.add(d);
                request.member(d.path(), d.sizeBytes());
            }
            NewArrayPlan.plan(request).writeTo(devices);
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
        return paths;
    }

    static List<Path> create(Path dir, String name, int count, int chunkBytes, long usedBytes, Layout layout,
                             boolean assumeClean, NewArrayPlan.BitmapKind bitmap) throws Exception {
        return create(dir, name, count, usedBytes + (1 << 20), new NewArrayPlan.Request().name(name).raidDisks(count)
                .chunkBytes(chunkBytes).layout(layout).requestedSizeBytes(usedBytes).bitmap(bitmap).assumeClean(assumeClean));
    }

    static List<Path> create(Path dir, String name, int count, int chunkBytes, long usedBytes) throws Exception {
        return create(dir, name, count, chunkBytes, usedBytes, Layout.LEFT_SYMMETRIC, true, NewArrayPlan.BitmapKind.INTERNAL);
    }

    /** md's mismatch_cnt of a stopped array, counted offline over every row (sectors). */
    public static long mismatchedSectors(List<Path> paths) throws Exception {
        try (io.raid5d.core.assembly.AssembledMembers am = io.raid5d.core.assembly.ArrayAssembler.open(names(paths), true)) {
            io.raid5d.core.resync.RowParityChecker checker = new io.raid5d.core.resync.RowParityChecker(am.members());
            long total = 0;
            for (long row = 0; row < am.members().geometry().rowCount(); row++) {
                total += checker.check(row, false);
            }
            return total;
        }
    }
}
