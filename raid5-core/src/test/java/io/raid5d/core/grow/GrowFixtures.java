package io.raid5d.core.grow;

import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Member files of an array made with spares (as {@code raid5 create --spare-devices}), for the grow tests. */
final class GrowFixtures {
    private GrowFixtures() {
    }

    /** {@code members} members then {@code spares} spares, files {@code g0.img ...}, internal bitmap, clean. */
    static List<Path> makeArray(Path dir, int members, int spares, Layout layout, int chunkBytes, long usedBytes)
            throws Exception {
        return makeArray(dir, members, spares, layout, chunkBytes, usedBytes, usedBytes + (2 << 20),
                NewArrayPlan.BitmapKind.INTERNAL);
    }

    /** As above, with files of {@code fileBytes} (room past the used size) and the bitmap kind given. */
    static List<Path> makeArray(Path dir, int members, int spares, Layout layout, int chunkBytes, long usedBytes,
                                long fileBytes, NewArrayPlan.BitmapKind bitmap) throws Exception {
        List<Path> paths = new ArrayList<>();
        List<MemberDevice> devices = new ArrayList<>();
        NewArrayPlan.Request request = new NewArrayPlan.Request().name("g").raidDisks(members).chunkBytes(chunkBytes)
                .layout(layout).requestedSizeBytes(usedBytes).bitmap(bitmap)
                .bitmapChunkBytes(bitmap == NewArrayPlan.BitmapKind.INTERNAL ? 1 << 20 : 0).assumeClean(true);
        try {
            for (int i = 0; i < members + spares; i++) {
                Path p = dir.resolve("g" + i + ".img");
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(fileBytes);
                }
                paths.add(p);
                MemberDevice d = MemberDevices.open(p, false);
                devices.add(d);
                if (i < members) {
                    request.member(d.path(), d.sizeBytes());
                } else {
                    request.spare(d.path(), d.sizeBytes());
                }
            }
            NewArrayPlan.plan(request).writeTo(devices);
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
        return paths;
    }
}
