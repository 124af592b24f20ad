package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idle hot spares, as md keeps them: {@code add} to a healthy array leaves the device waiting
 * (superblock role spare, events kept current); when a member fails while clients write, the
 * spare takes its role on its own and is rebuilt; the faulty member stays listed until removed;
 * a spare is found again at assembly and replaces a missing member at start.
 */
class HotSpareTest {
    private static final int CHUNK = 16 * 1024;
    private static final long MEMBER_BYTES = 2L << 20;

    private static Path blank(Path dir, String name) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(MEMBER_BYTES + (1 << 20));
        }
        return p;
    }

    /** Reads the superblock straight from the file: the running array holds the device open (and locked). */
    private static Superblock superblockOf(Path p) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer area = ByteBuffer.allocate(SuperblockIo.SUPERBLOCK_AREA_BYTES);
            ch.read(area, 4096);
            return Superblock.decode(area.flip());
        }
    }


    private static ArrayOptions options() {
        return ArrayOptions.defaults().withStripeCacheSize(64).withIoThreads(4);
    }

    private static void awaitInSync(Raid5Array a) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (a.members().degraded()) {
            assertTrue(System.nanoTime() < deadline, "the spare was not rebuilt in time: " + a.health());
            Thread.sleep(20);
        }
    }

    private static byte[] readAll(Raid5Array a) {
        ByteBuffer b = ByteBuffer.allocate((int) a.sizeBytes());
        a.read(0, b).join();
        return b.array();
    }

    @Test
    void aSpareWaitsThenReplacesAMemberThatFailsUnderLoad(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "hs", 4, CHUNK, MEMBER_BYTES);
        Path spare = blank(dir, "spare.img");
        byte[] model;
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Raid5Array a = ArrayAssembler.assemble("hs", names(paths), options())) {
            a.addListener((kind, member, percent) -> events.add(kind + (member == null ? "" : " " + member)));
            model = new byte[(int) a.sizeBytes()];
            new Random(1).nextBytes(model);
            a.write(0, ByteBuffer.wrap(model), false).join();

            a.addSpare(spare.toString().toString());
            assertEquals(List.of(spare.toString()), a.health().spares(), "added to a healthy array: an idle spare");
            assertTrue(!a.members().degraded());
            Superblock own = superblockOf(spare);
            assertEquals(Superblock.ROLE_SPARE, own.role(), "the spare's superblock says spare");
            assertEquals(superblockOf(paths.get(0)).getEvents(), own.getEvents(), "spares get every superblock update");
            assertEquals(Superblock.ROLE_SPARE, superblockOf(paths.get(0)).roleOf(own.getDevNumber()));
            ArrayOperationException twice = assertThrows(ArrayOperationException.class, () -> a.addSpare(spare.toString().toString()));
            assertTrue(twice.getMessage().contains("already in array hs"), twice.getMessage());

            // Writers keep going while member 1 fails and the spare is rebuilt under them.
            ExecutorService pool = Executors.newFixedThreadPool(3);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                writers.add(pool.submit(() -> {
                    Random r = new Random(100 + seed);
                    for (int i = 0; i < 300; i++) {
                        int len = 512 * (1 + r.nextInt(64));
                        // each writer owns every third 64 KiB region: no overlapping writes between threads
                        long region = (r.nextInt((int) (model.length / 65536 / 3)) * 3L + seed) * 65536;
                        int off = (int) (region + 512L * r.nextInt((65536 - len) / 512 + 1));
                        byte[] data = new byte[len];
                        r.nextBytes(data);
                        a.write(off, ByteBuffer.wrap(data), false).join();
                        synchronized (model) {
                            System.arraycopy(data, 0, model, off, len);
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(20);
            a.failMember(paths.get(1).toString());
            for (Future<?> w : writers) {
                w.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            awaitInSync(a);
            assertEquals(spare.toString(), a.members().paths().get(1), "the spare took the failed member's role");
            assertEquals(List.of(), a.health().spares());
            assertEquals(List.of(paths.get(1).toString()), a.health().faultyDetached(), "the faulty member stays until removed");
            assertArrayEquals(model, readAll(a));
            // SpareActive follows the superblock update that ends the recovery, just after the slot turns in sync.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!events.contains("SPARE_ACTIVE " + spare) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(events.contains("SPARE_ACTIVE " + spare), events.toString());
            int faultyNumber = superblockOf(paths.get(1)).getDevNumber();
            assertEquals(Superblock.ROLE_FAULTY, superblockOf(paths.get(0)).roleOf(faultyNumber));

            a.removeMember(paths.get(1).toString());
            assertEquals(List.of(), a.health().faultyDetached());
            assertEquals(Superblock.ROLE_SPARE, superblockOf(paths.get(0)).roleOf(faultyNumber), "removed: slot unused");
        }
        List<Path> now = List.of(paths.get(0), spare, paths.get(2), paths.get(3));
        assertEquals(0, TestArrays.mismatchedSectors(now));
        try (Raid5Array a = ArrayAssembler.assemble("hs", names(now), options())) {
            assertTrue(!a.members().degraded());
            assertArrayEquals(model, readAll(a));
        }
    }

    @Test
    void aSpareIsFoundAtAssemblyAndReplacesAMissingMemberAtStart(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "hs2", 3, CHUNK, MEMBER_BYTES);
        Path spare = blank(dir, "spare.img");
        byte[] model;
        try (Raid5Array a = ArrayAssembler.assemble("hs2", names(paths), options())) {
            model = new byte[(int) a.sizeBytes()];
            new Random(2).nextBytes(model);
            a.write(0, ByteBuffer.wrap(model), false).join();
            a.addSpare(spare.toString().toString());
        }
        List<Path> withSpare = new ArrayList<>(paths);
        withSpare.add(spare);
        try (Raid5Array a = ArrayAssembler.assemble("hs2", names(withSpare), options())) {
            assertEquals(List.of(spare.toString()), a.health().spares(), "assembly keeps the spare idle");
            assertEquals(paths.stream().map(Path::toString).toList(), a.members().paths());
            // md's fail of a spare: it becomes faulty and is no longer used
            a.failMember(spare.toString());
            assertEquals(List.of(), a.health().spares());
            assertEquals(List.of(spare.toString()), a.health().faultyDetached());
            a.removeMember(spare.toString());
            a.addSpare(spare.toString().toString()); // back as an idle spare
            assertEquals(List.of(spare.toString()), a.health().spares());
        }
        // Member 2 is gone: the clean array starts degraded and the spare takes role 2 at once.
        List<Path> degraded = List.of(paths.get(0), paths.get(1), spare);
        try (Raid5Array a = ArrayAssembler.assemble("hs2", names(degraded), options())) {
            awaitInSync(a);
            assertEquals(spare.toString(), a.members().paths().get(2));
            assertArrayEquals(model, readAll(a));
        }
        assertEquals(0, TestArrays.mismatchedSectors(degraded));
    }
}
