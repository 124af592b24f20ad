package io.raid5d.core.grow;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayOperationException;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.ReshapeStatus;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.resync.StripeSweep;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online grow: a running array grows onto its spare while threads write and read back
 * across it (requests straddling the reshape boundary included); the grown array holds every
 * acknowledged byte, reads zeros in the new space, has right parity everywhere and assembles
 * with the new member count. A grow stopped midway (the array closed) is recorded on the members
 * and resumes at the next assembly. Refusals name the problem.
 */
class OnlineGrowTest {
    private static final int CHUNK = 64 << 10;
    private static final long USED = 8L << 20;
    private static final int BLOCK = 1 << 20; // writer t owns the array's 1 MiB blocks b with b % WRITERS == t
    private static final int WRITERS = 4;

    @RepeatedTest(3)
    void growsWhileWritersWriteAndReadBack(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        byte[] shadow;
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            shadow = fill(a, 3);
            a.setSpeedLimits(new StripeSweep.SpeedLimits(4000, 8000)); // the grow lasts about 2 s: the writers span it
            Writers w = new Writers(a, shadow, 17);
            w.start();
            Thread.sleep(100);
            a.grow(4);
            ReshapeStatus st = a.reshape().orElseThrow();
            assertEquals(3, st.fromDisks());
            assertEquals(4, st.toDisks());
            assertTrue(a.status().state().contains("reshaping"), a.status().state());
            assertEquals(USED * 2, a.sizeBytes(), "the old size until the grow ends");
            a.awaitGrow();
            w.stopAndCheck();
            assertTrue(w.writes.get() > 20, "writes ran through the grow: " + w.writes.get());
            assertFalse(a.reshape().isPresent());
            assertEquals(4, a.geometry().raidDisks());
            assertEquals(USED * 3, a.sizeBytes(), "the array grew");
            checkBytes(a, shadow);
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths), "parity right in every row");
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            assertEquals(4, a.geometry().raidDisks());
            checkBytes(a, shadow);
        }
        for (Path p : paths) {
            try (MemberDevice d = MemberDevices.open(p, true)) {
                Superblock sb = SuperblockIo.read(d); // strict: no reshape left
                assertEquals(4, sb.getRaidDisks());
                assertFalse(sb.reshapeActive());
            }
        }
    }

    @Test
    void aGrowStoppedByTheArraysStopResumesAtTheNextAssembly(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        byte[] shadow;
        long stoppedAt;
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            shadow = fill(a, 3);
            a.setSpeedLimits(new StripeSweep.SpeedLimits(2000, 2000));
            Writers w = new Writers(a, shadow, 23);
            w.start();
            a.grow(4);
            Thread.sleep(1200);
            w.stopAndCheck();
            stoppedAt = a.reshape().orElseThrow().doneSectors();
            assertTrue(stoppedAt > 0 && stoppedAt < USED * 3 / 512, "stopped midway: " + stoppedAt);
        }
        long recorded;
        try (MemberDevice d = MemberDevices.open(paths.get(3), true)) {
            Superblock sb = SuperblockIo.readReshaping(d);
            assertTrue(sb.reshapeActive());
            assertEquals(4, sb.getRaidDisks());
            assertEquals(1, sb.getDeltaDisks());
            assertTrue(sb.isClean(), "a clean stop");
            recorded = sb.getReshapePosition();
            assertTrue(recorded >= stoppedAt && recorded < USED * 3 / 512 && recorded % (3 * CHUNK / 512) == 0,
                    "the stop records where the copy reached: " + recorded + " (" + stoppedAt + " before the stop)");
        }
        AssemblyRefusal.check(paths);
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            assertTrue(a.reshape().isPresent(), "resumed");
            assertEquals(USED * 2, a.sizeBytes());
            Writers w = new Writers(a, shadow, 29);
            w.start();
            a.awaitGrow();
            w.stopAndCheck();
            assertEquals(USED * 3, a.sizeBytes());
            checkBytes(a, shadow);
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    /**
     * A disk dies in the middle of a grow (every I/O to an old member fails from then on): the
     * member is failed in both geometries, the grow goes on degraded as md's does, writers see
     * no error, and the grown array, degraded, holds every byte; so does its next assembly
     * without the dead member.
     */
    @Test
    void aMemberThatDiesDuringTheGrowLeavesItGoingOnDegraded(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        List<MemberDevice> devices = new ArrayList<>();
        List<FaultInjectingMemberDevice> faulty = new ArrayList<>();
        for (Path p : paths) {
            FaultInjectingMemberDevice f = new FaultInjectingMemberDevice(MemberDevices.open(p, false));
            faulty.add(f);
            devices.add(f);
        }
        byte[] shadow;
        try (Raid5Array a = ArrayAssembler.assembleDevices("g", devices, ArrayOptions.defaults())) {
            shadow = fill(a, 5);
            a.setSpeedLimits(new StripeSweep.SpeedLimits(3000, 6000));
            Writers w = new Writers(a, shadow, 37);
            w.start();
            a.grow(4);
            Thread.sleep(500);
            assertTrue(a.reshape().isPresent());
            faulty.get(1).failAll(); // an old member dies mid-grow
            a.awaitGrow();
            w.stopAndCheck();
            assertFalse(a.reshape().isPresent(), "the grow finished degraded");
            assertEquals(4, a.geometry().raidDisks());
            assertEquals(USED * 3, a.sizeBytes());
            assertTrue(a.health().degraded());
            assertEquals(io.raid5d.core.member.MemberSet.Slot.FAULTY, a.health().slots().get(1));
            checkBytes(a, shadow);
        }
        List<Path> alive = new ArrayList<>(paths);
        alive.remove(1);
        try (Raid5Array a = ArrayAssembler.assemble("g", names(alive), ArrayOptions.defaults())) {
            assertEquals(4, a.geometry().raidDisks());
            assertTrue(a.health().degraded());
            checkBytes(a, shadow);
        }
    }

    /**
     * The spare's superblock cannot be written when the grow starts (a write error there): the
     * grow is refused with the error, the members say again what the array is (with events past
     * the half-written start), the array goes on serving in its old geometry, and assembles so.
     */
    @Test
    void aGrowWhoseStartCannotBeWrittenLeavesTheArrayAsItWas(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        List<MemberDevice> devices = new ArrayList<>();
        FaultInjectingMemberDevice spare = null;
        for (Path p : paths) {
            FaultInjectingMemberDevice f = new FaultInjectingMemberDevice(MemberDevices.open(p, false));
            devices.add(f);
            spare = f;
        }
        byte[] shadow;
        try (Raid5Array a = ArrayAssembler.assembleDevices("g", devices, ArrayOptions.defaults())) {
            shadow = fill(a, 7);
            spare.failWrites(4096, 8192); // its superblock
            String why = assertThrows(java.io.IOException.class, () -> a.grow(4)).getMessage();
            assertTrue(why != null && !why.isEmpty(), "the error says why");
            assertFalse(a.reshape().isPresent());
            assertEquals(3, a.geometry().raidDisks());
            assertEquals(USED * 2, a.sizeBytes());
            byte[] more = new byte[1 << 20];
            new Random(3).nextBytes(more);
            a.write(5 << 20, ByteBuffer.wrap(more), true).get(); // it still serves
            System.arraycopy(more, 0, shadow, 5 << 20, more.length);
            checkBytes(a, shadow);
            spare.heal();
        }
        for (Path p : paths.subList(0, 3)) {
            try (MemberDevice d = MemberDevices.open(p, true)) {
                Superblock sb = SuperblockIo.read(d); // strict: no reshape on the members
                assertEquals(3, sb.getRaidDisks());
            }
        }
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            assertEquals(3, a.geometry().raidDisks());
            assertFalse(a.health().degraded());
            checkBytes(a, shadow);
            assertEquals(1, a.health().spares().size(), "the spare is a spare again");
        }
    }

    /**
     * The copy's writes set no write-intent bit (md's reshape sets none: rows past the recorded
     * position are copied again after a crash), so the resync after a crashed grow covers only
     * what clients were writing. On an idle array, no bit is set once the grow is done.
     */
    @Test
    void theCopySetsNoBitmapBits(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            a.grow(4);
            a.awaitGrow();
            io.raid5d.core.intent.BitmapWriteIntentLog log =
                    (io.raid5d.core.intent.BitmapWriteIntentLog) a.writeIntentLog().current();
            assertEquals(0, log.bitmap().setBitCount(), "bits set by the copy");
            a.write(0, ByteBuffer.wrap(new byte[4096]), true).get();
            assertEquals(1, log.bitmap().setBitCount(), "a client write after the grow sets its bit");
        }
    }

    @Test
    void refusalsNameTheProblem(@TempDir Path dir) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 1, Layout.LEFT_SYMMETRIC, CHUNK, USED);
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths.subList(0, 3)), ArrayOptions.defaults())) {
            String noSpare = assertThrows(ArrayOperationException.class, () -> a.grow(4)).getMessage();
            assertTrue(noSpare.contains("needs 1 spare, it has 0"), noSpare);
            String less = assertThrows(ArrayOperationException.class, () -> a.grow(3)).getMessage();
            assertTrue(less.contains("growing means more"), less);
        }
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            String two = assertThrows(ArrayOperationException.class, () -> a.grow(5)).getMessage();
            assertTrue(two.contains("needs 2 spares, it has 1"), two);
            a.failMember(paths.get(1).toString());
            a.awaitRebuild(); // the spare took the failed role
            a.failMember(paths.get(3).toString());
            String degraded = assertThrows(ArrayOperationException.class, () -> a.grow(4)).getMessage();
            assertTrue(degraded.contains("is degraded"), degraded);
            assertFalse(a.reshape().isPresent());
        }
    }

    /** Refusals of a mid-grow array by the offline tools (its rows are in two geometries). */
    private static final class AssemblyRefusal {
        static void check(List<Path> paths) {
            String why = assertThrows(io.raid5d.core.assembly.AssemblyException.class,
                    () -> ArrayAssembler.open(names(paths), true)).getMessage();
            assertTrue(why.contains("the array is growing"), why);
        }
    }

    /** Random bytes over the whole array, kept as the expected content. */
    private static byte[] fill(Raid5Array a, int seed) throws Exception {
        byte[] data = new byte[(int) a.sizeBytes()];
        new Random(seed * 7919L).nextBytes(data);
        a.write(0, ByteBuffer.wrap(data), false).get();
        a.flush().get();
        return data;
    }

    private static void checkBytes(Raid5Array a, byte[] shadow) throws Exception {
        ByteBuffer back = ByteBuffer.allocate((int) a.sizeBytes());
        a.read(0, back).get();
        byte[] got = back.array();
        assertArrayEquals(shadow, java.util.Arrays.copyOf(got, shadow.length), "every acknowledged byte");
        assertArrayEquals(new byte[got.length - shadow.length], java.util.Arrays.copyOfRange(got, shadow.length, got.length),
                "the new space reads zeros");
    }

    /**
     * Threads writing random ranges (up to 256 KiB, across the grow's unit boundaries) in the
     * blocks each owns, reading every write back once acknowledged, and keeping the shadow.
     */
    private static final class Writers {
        final Raid5Array array;
        final byte[] shadow;
        final long seed;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong writes = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();

        Writers(Raid5Array array, byte[] shadow, long seed) {
            this.array = array;
            this.shadow = shadow;
            this.seed = seed;
        }

        void start() {
            int blocks = shadow.length / BLOCK;
            for (int t = 0; t < WRITERS; t++) {
                int me = t;
                Thread th = new Thread(() -> {
                    Random r = new Random(seed * 31 + me);
                    try {
                        while (!stop.get()) {
                            int block = me + WRITERS * r.nextInt(blocks / WRITERS);
                            int len = (1 + r.nextInt(64)) * 4096;
                            int off = block * BLOCK + r.nextInt(BLOCK - len + 1) / 512 * 512;
                            byte[] data = new byte[len];
                            r.nextBytes(data);
                            array.write(off, ByteBuffer.wrap(data), r.nextInt(8) == 0).get();
                            System.arraycopy(data, 0, shadow, off, len);
                            writes.incrementAndGet();
                            ByteBuffer back = ByteBuffer.allocate(len);
                            array.read(off, back).get();
                            if (!java.util.Arrays.equals(data, back.array())) {
                                throw new AssertionError("read back differs at " + off + "+" + len + " during the grow");
                            }
                            if (r.nextInt(16) == 0) {
                                array.flush().get();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "grow-writer-" + t);
                threads.add(th);
                th.start();
            }
        }

        void stopAndCheck() throws Exception {
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
                assertFalse(t.isAlive(), t.getName() + " is stuck");
            }
            if (failure.get() != null) {
                throw new AssertionError("a writer failed", failure.get());
            }
        }
    }
}
