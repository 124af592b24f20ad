package io.raid5d.core.grow;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Grow;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline grow on member files: 3 members and a spare (or 4 and 2 spares) grown, the data
 * read back through a fresh assembly, parity checked; and stopped after any number of steps,
 * with the unrecorded steps' new cells torn, then resumed.
 */
class OfflineGrowTest {
    private static final int CHUNK = 64 << 10;
    private static final long USED = 8L << 20;

    @Test
    void growsThreeMembersAndASpareToFour(@TempDir Path dir) throws Exception {
        List<Path> paths = makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC);
        byte[] data = fill(paths, 3);
        OfflineGrow.Result r = grow(paths, Long.MAX_VALUE);
        assertTrue(r.finished());
        assertEquals(3, r.fromDisks());
        assertEquals(4, r.toDisks());
        assertTrue(r.records() < r.steps(), r.toString());
        checkGrown(paths, data, 4);
    }

    @Test
    void growsByTwoInEveryLayout(@TempDir Path dir) throws Exception {
        for (Layout layout : Layout.values()) {
            Path sub = dir.resolve(layout.mdName());
            java.nio.file.Files.createDirectories(sub);
            List<Path> paths = makeArray(sub, 4, 2, layout);
            byte[] data = fill(paths, 4);
            assertTrue(grow(paths, Long.MAX_VALUE).finished());
            checkGrown(paths, data, 6);
        }
    }

    /** A crash after any step: the steps not yet recorded have their new cells torn (garbage), then the grow resumes. */
    @Test
    void aGrowStoppedAtAnyStepWithTornCellsResumesToTheSameBytes(@TempDir Path dir) throws Exception {
        Geometry before = Geometry.of(3, CHUNK / 512, Layout.LEFT_SYMMETRIC, USED / 512);
        Grow g = Grow.of(before, 4);
        long steps = (before.arraySectors() + g.unitSectors() - 1) / g.unitSectors();
        Random random = new Random(5);
        for (long stop : new long[] {1, 2, 3, 5, 8, 13, steps / 2, steps - 1}) {
            Path sub = dir.resolve("stop" + stop);
            java.nio.file.Files.createDirectories(sub);
            List<Path> paths = makeArray(sub, 3, 1, Layout.LEFT_SYMMETRIC);
            byte[] data = fill(paths, 3);
            OfflineGrow.Result first = grow(paths, stop);
            assertFalse(first.finished());
            assertEquals(stop, first.steps());
            tearUnrecorded(paths, g, stop, random);
            OfflineGrow.Result resumed = grow(paths, Long.MAX_VALUE);
            assertTrue(resumed.finished());
            assertTrue(resumed.startedAtSector() <= stop * g.unitSectors(), resumed.toString());
            checkGrown(paths, data, 4);
        }
    }

    @Test
    void refusalsNameTheProblemAndWriteNothing(@TempDir Path dir) throws Exception {
        List<Path> paths = makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC);
        byte[] before = java.nio.file.Files.readAllBytes(paths.get(0));
        GrowException noSpare = assertThrows(GrowException.class, () -> grow(paths.subList(0, 3), Long.MAX_VALUE));
        assertTrue(noSpare.getMessage().contains("needs more devices"), noSpare.getMessage());
        List<Path> swapped = new ArrayList<>(paths);
        java.util.Collections.swap(swapped, 0, 1);
        GrowException order = assertThrows(GrowException.class, () -> grow(swapped, Long.MAX_VALUE));
        assertTrue(order.getMessage().contains("role order"), order.getMessage());
        assertArrayEquals(before, java.nio.file.Files.readAllBytes(paths.get(0)));
    }

    private static List<Path> makeArray(Path dir, int members, int spares, Layout layout) throws Exception {
        return GrowFixtures.makeArray(dir, members, spares, layout, CHUNK, USED);
    }

    /** Random bytes over the whole array through the engine, then a clean stop. */
    private static byte[] fill(List<Path> paths, int members) throws Exception {
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            byte[] data = new byte[(int) a.sizeBytes()];
            new Random(members * 7919L).nextBytes(data);
            a.write(0, ByteBuffer.wrap(data), false).get();
            a.flush().get();
            return data;
        }
    }

    private static OfflineGrow.Result grow(List<Path> paths, long stopAfter) throws Exception {
        List<MemberDevice> devices = new ArrayList<>();
        try {
            for (Path p : paths) {
                devices.add(MemberDevices.open(p, false));
            }
            return new OfflineGrow(devices).stopAfterSteps(stopAfter).run();
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
    }

    /**
     * Garbage over the new cells of every step a crash could have left half written: those run
     * since the recorded position, and the next one unless it had to record first.
     */
    private static void tearUnrecorded(List<Path> paths, Grow g, long stoppedAfter, Random random) throws Exception {
        List<MemberDevice> devices = new ArrayList<>();
        try {
            for (Path p : paths) {
                devices.add(MemberDevices.open(p, false));
            }
            Superblock sb = SuperblockIo.readReshaping(devices.get(0));
            assertTrue(sb.reshapeActive());
            long chunk = g.after().chunkSectors();
            long recorded = sb.getReshapePosition();
            long firstRow = recorded / g.unitSectors();
            // the steps run since the record, and the next one if it could have started without a record first
            long next = stoppedAfter * g.unitSectors();
            long lastRow = g.mustRecordBefore(next, recorded) ? stoppedAfter - 1 : stoppedAfter;
            lastRow = Math.min(lastRow, g.after().rowCount() - 1);
            byte[] junk = new byte[(int) chunk * 512];
            for (long row = firstRow; row <= lastRow; row++) {
                for (MemberDevice d : devices) {
                    random.nextBytes(junk);
                    long newOffset = SuperblockIo.readReshaping(d).newDataOffset();
                    d.write((newOffset + row * chunk) * 512, ByteBuffer.wrap(junk));
                }
            }
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
    }

    private static void checkGrown(List<Path> paths, byte[] data, int members) throws Exception {
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            assertEquals(members, a.geometry().raidDisks());
            assertEquals(USED * (members - 1), a.sizeBytes(), "the array grew");
            ByteBuffer back = ByteBuffer.allocate((int) a.sizeBytes());
            a.read(0, back).get();
            byte[] got = back.array();
            assertArrayEquals(data, java.util.Arrays.copyOf(got, data.length), "the old bytes");
            assertArrayEquals(new byte[got.length - data.length], java.util.Arrays.copyOfRange(got, data.length, got.length),
                    "the new space reads zeros");
            assertFalse(a.status().state().contains("resync"), "no resync after a grow: " + a.status().state());
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths), "parity right in every row");
    }
}
