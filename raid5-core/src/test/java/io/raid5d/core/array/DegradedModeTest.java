package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssembledMembers;
import io.raid5d.core.assembly.AssemblyException;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Degraded mode against an in-memory model: a member fails in the middle of random concurrent
 * I/O (every read must still match), a spare is rebuilt (parity consistent after), a second
 * failure fails requests, read errors are corrected, re-add recovers only dirty chunks, and
 * check/repair count and fix a corrupted parity block.
 */
class DegradedModeTest {
    private static final int CHUNK = 16 * 1024;
    private static final long MEMBER_BYTES = 2L << 20;
    private static final int N = 5;

    private static final class Rig implements AutoCloseable {
        final List<Path> paths;
        final List<FaultInjectingMemberDevice> devs = new ArrayList<>();
        final RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        final Raid5Array array;
        final byte[] model;

        Rig(Path dir, String name, int cache) throws Exception {
            paths = TestArrays.create(dir, name, N, CHUNK, MEMBER_BYTES);
            List<MemberDevice> open = new ArrayList<>();
            for (Path p : paths) {
                FaultInjectingMemberDevice f = new FaultInjectingMemberDevice(MemberDevices.open(p, false));
                devs.add(f);
                open.add(f);
            }
            ArrayOptions options = ArrayOptions.defaults().withStripeCacheSize(cache).withIoThreads(4)
                    .withWriteIntentLog((m, s) -> log);
            array = ArrayAssembler.assembleDevices(name, open, options);
            model = new byte[(int) array.sizeBytes()];
        }

        void write(long off, byte[] data) {
            array.write(off, ByteBuffer.wrap(data), false).join();
            synchronized (model) {
                System.arraycopy(data, 0, model, (int) off, data.length);
            }
        }

        byte[] read(long off, int len) {
            ByteBuffer b = ByteBuffer.allocate(len);
            array.read(off, b).join();
            return b.array();
        }

        void verifyAll() {
            for (long off = 0; off < model.length; off += 1 << 18) {
                int len = (int) Math.min(1 << 18, model.length - off);
                byte[] want = new byte[len];
                System.arraycopy(model, (int) off, want, 0, len);
                assertArrayEquals(want, read(off, len), "bytes at " + off);
            }
        }

        @Override
        public void close() throws Exception {
            array.close();
        }
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static Superblock readSuperblock(Path p) throws Exception {
        try (MemberDevice d = MemberDevices.open(p, true)) {
            return SuperblockIo.read(d);
        }
    }


    @Test
    void memberFailsMidRunReadsMatchModelThenSpareRebuildsConsistentParity(@TempDir Path dir) throws Exception {
        Path spare = dir.resolve("spare.img");
        try (RandomAccessFile f = new RandomAccessFile(spare.toFile(), "rw")) {
            f.setLength(MEMBER_BYTES + (1 << 20));
        }
        List<Path> finalPaths;
        try (Rig rig = new Rig(dir, "dg", 17)) {
            int size = rig.model.length;
            int threads = 6;
            int region = size / threads;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(77 + me);
                    int base = me * region;
                    for (int op = 0; op < 300; op++) {
                        if (me == 0 && op == 100) {
                            rig.devs.get(2).failAll(); // a pulled disk in the middle of the run
                        }
                        int len = 1 + r.nextInt(r.nextBoolean() ? 600 : 3 * CHUNK);
                        int off = base + r.nextInt(region - len);
                        if (r.nextInt(3) == 0) {
                            byte[] want;
                            synchronized (rig.model) { // only this thread writes its region
                                want = java.util.Arrays.copyOfRange(rig.model, off, off + len);
                            }
                            assertArrayEquals(want, rig.read(off, len), "read at " + off + "+" + len + " op " + op);
                        } else {
                            rig.write(off, random(r, len));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            MemberSet members = rig.array.members();
            assertEquals(2, members.lostRole());
            assertEquals(MemberSet.Slot.FAULTY, members.slot(2));
            assertTrue(rig.array.status().state().contains("degraded"), rig.array.status().state());
            assertTrue(rig.log.degraded(), "the log was told");
            rig.verifyAll();
            // The others record the failure: role 0xfffe, events moved on.
            Superblock failedOwn = SuperblockIo.read(rig.devs.get(2).delegate());
            for (int r = 0; r < N; r++) {
                if (r != 2) {
                    Superblock sb = SuperblockIo.read(rig.devs.get(r).delegate());
                    assertEquals(Superblock.ROLE_FAULTY, sb.roleOf(failedOwn.getDevNumber()));
                    assertTrue(sb.getEvents() > failedOwn.getEvents());
                }
            }
            assertEquals(0, rig.log.outstanding());
            assertEquals(0, rig.log.unbalancedEnds());

            rig.array.removeMember(rig.paths.get(2).toString());
            assertEquals(MemberSet.Slot.MISSING, members.slot(2));
            rig.array.addSpare(spare.toString().toString());
            // writes keep coming while the spare rebuilds
            Random r = new Random(5);
            for (int i = 0; i < 50; i++) {
                int len = 1 + r.nextInt(2 * CHUNK);
                rig.write(r.nextInt(size - len), random(r, len));
            }
            rig.array.awaitRebuild();
            assertEquals(MemberSet.Slot.IN_SYNC, members.slot(2));
            assertTrue(!members.degraded());
            assertTrue(!rig.log.degraded(), "the log was told the array is whole");
            rig.verifyAll();
            finalPaths = new ArrayList<>(rig.paths);
            finalPaths.set(2, spare);
        }
        assertEquals(0, TestArrays.mismatchedSectors(finalPaths), "parity consistent after the rebuild");
        Superblock sb = readSuperblock(spare);
        assertEquals(2, sb.role());
        assertTrue(!sb.hasRecoveryOffset(), "recovery finished: feature bit cleared");
        assertTrue(sb.isClean());
    }

    @Test
    void secondFailureFailsRequestsWithEio(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "two", 32)) {
            Random r = new Random(3);
            byte[] data = random(r, 3 * CHUNK);
            rig.write(0, data);
            rig.devs.get(1).failAll();
            rig.array.failMember(rig.paths.get(1).toString());
            rig.write(CHUNK * 8, random(r, CHUNK)); // degraded now, still served
            assertArrayEquals(data, rig.read(0, data.length));
            rig.devs.get(3).failAll();
            // chunk 3 of row 0 lives on member 3 (left-symmetric, parity on member 4)
            CompletionException w = assertThrows(CompletionException.class,
                    () -> rig.array.write(3 * CHUNK, ByteBuffer.wrap(random(r, CHUNK)), false).join());
            assertTrue(w.getCause() instanceof java.io.IOException, String.valueOf(w.getCause()));
            assertTrue(rig.array.members().failed());
            assertThrows(CompletionException.class, () -> rig.read(0, data.length));
            assertTrue(rig.array.status().state().contains("FAILED"));
            assertEquals(0, rig.log.outstanding());
        }
    }

    @Test
    void readErrorIsCorrectedByRewritingTheReconstructedBlock(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "rd", 32)) {
            Random r = new Random(11);
            byte[] data = random(r, 8 * CHUNK);
            rig.write(0, data);
            rig.array.flush().join();
            rig.array.setStripeCacheSize(17); // push the written stripes out of the cache
            rig.array.setStripeCacheSize(64);
            // member holding array chunk 0 (row 0): fail reads of its first data page once
            int member = rig.array.geometry().dataMember(0, 0);
            long at = rig.array.members().rowAddress(member, 0);
            FaultInjectingMemberDevice dev = rig.devs.get(member);
            dev.failReads(at, at + 4096);
            long writesBefore = dev.writes();
            byte[] got = rig.read(0, data.length);
            assertArrayEquals(data, got);
            assertTrue(dev.injectedFailures() > 0, "the fault was hit");
            assertTrue(dev.writes() > writesBefore, "the reconstructed block was written back");
            assertEquals(MemberSet.Slot.IN_SYNC, rig.array.members().slot(member), "the member stays in");
            assertEquals(1, rig.array.health().correctedReads().get(member));
        }
    }

    @Test
    void reAddRecoversOnlyDirtyChunks(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "ra", 64)) {
            rig.log.trackDirty(CHUNK / 512);
            Random r = new Random(21);
            for (int i = 0; i < 20; i++) {
                rig.write(i * 50_000L, random(r, 9000));
            }
            rig.array.failMember(rig.paths.get(1).toString());
            rig.array.removeMember(rig.paths.get(1).toString());
            // write ~1% of the array while the member is away
            int size = rig.model.length;
            int writes = Math.max(1, size / 100 / 4096);
            for (int i = 0; i < writes; i++) {
                rig.write((long) r.nextInt(size / 4096) * 4096, random(r, 4096));
            }
            int dirty = rig.log.dirtyChunkCount();
            assertTrue(dirty > 0 && dirty < rig.array.geometry().rowCount() / 2, "dirty " + dirty);
            FaultInjectingMemberDevice back = new FaultInjectingMemberDevice(MemberDevices.open(rig.paths.get(1), false));
            rig.array.reAddMember(back);
            rig.array.awaitRebuild();
            assertEquals(MemberSet.Slot.IN_SYNC, rig.array.members().slot(1));
            long rebuiltBytes = back.bytesWritten();
            long memberData = rig.array.geometry().memberSectors() * 512;
            // dirty rows only (plus superblock and bitmap writes)
            assertTrue(rebuiltBytes <= (long) dirty * CHUNK + (256 << 10), rebuiltBytes + " bytes for " + dirty + " dirty chunks");
            assertTrue(rebuiltBytes < memberData / 4, rebuiltBytes + " of " + memberData);
            rig.verifyAll();
            // and now member 1 serves reads directly: fail another member and read everything again
            rig.devs.get(3).failAll();
            rig.verifyAll();
        }
    }

    @Test
    void reAddRefusedWhenOlderThanEventsCleared(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "old", 32)) {
            rig.array.failMember(rig.paths.get(0).toString());
            rig.array.removeMember(rig.paths.get(0).toString());
            rig.log.setEventsCleared(Long.MAX_VALUE - 1);
            ArrayOperationException e = assertThrows(ArrayOperationException.class,
                    () -> rig.array.reAddMember(rig.paths.get(0).toString().toString()));
            assertTrue(e.getMessage().contains("too old"), e.getMessage());
        }
    }

    @Test
    void checkCountsCorruptedParityAndRepairFixesIt(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "ck", N, CHUNK, MEMBER_BYTES);
        try (Raid5Array a = ArrayAssembler.assemble("ck", names(paths), ArrayOptions.defaults())) {
            a.write(0, ByteBuffer.wrap(random(new Random(1), 64 * CHUNK)), false).join();
        }
        long row = 3;
        int parityMember;
        long address;
        try (AssembledMembers am = ArrayAssembler.open(names(paths), true)) {
            parityMember = am.members().geometry().parityDisk(row);
            address = am.members().rowAddress(parityMember, row);
        }
        try (RandomAccessFile f = new RandomAccessFile(paths.get(parityMember).toFile(), "rw")) {
            f.seek(address + 4096);
            f.write(new byte[] {1, 2, 3});
        }
        assertEquals(8, TestArrays.mismatchedSectors(paths));
        try (Raid5Array a = ArrayAssembler.assemble("ck", names(paths), ArrayOptions.defaults())) {
            a.startScrub(false);
            a.awaitScrub();
            assertEquals(8, a.mismatchCount(), "one 4 KiB block");
            a.startScrub(true);
            a.awaitScrub();
            assertEquals(8, a.mismatchCount(), "repair counts what it fixes");
            a.startScrub(false);
            a.awaitScrub();
            assertEquals(0, a.mismatchCount());
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void dirtyDegradedAssemblyIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "wh", N, CHUNK, MEMBER_BYTES);
        List<MemberDevice> open = new ArrayList<>();
        for (Path p : paths) {
            open.add(MemberDevices.open(p, false));
        }
        Raid5Array a = ArrayAssembler.assembleDevices("wh", open, ArrayOptions.defaults());
        a.write(0, ByteBuffer.wrap(random(new Random(2), 4 * CHUNK)), false).join();
        a.failMember(paths.get(4).toString());
        // a crash: the members are closed without the clean stop (superblocks stay dirty)
        a.members().close();
        List<Path> four = paths.subList(0, 4);
        AssemblyException e = assertThrows(AssemblyException.class,
                () -> ArrayAssembler.assemble("wh", names(four), ArrayOptions.defaults()));
        assertTrue(e.getMessage().contains("write hole") && e.getMessage().contains("--force"), e.getMessage());
        try (Raid5Array forced = ArrayAssembler.assemble("wh", names(four), ArrayOptions.defaults(), true)) {
            assertTrue(forced.members().degraded());
            assertEquals(MemberSet.Slot.MISSING, forced.members().slot(4));
        }
        // cleanly stopped while degraded: starts without force
        try (Raid5Array again = ArrayAssembler.assemble("wh", names(four), ArrayOptions.defaults())) {
            assertTrue(again.status().state().contains("degraded"));
        }
    }

    @Test
    void rebuildStoppedMidwayResumesFromRecoveryOffset(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "rs", N, CHUNK, 8L << 20);
        Path spare = dir.resolve("spare.img");
        try (RandomAccessFile f = new RandomAccessFile(spare.toFile(), "rw")) {
            f.setLength((8L << 20) + (1 << 20));
        }
        byte[] data = random(new Random(9), 1 << 20);
        try (Raid5Array a = ArrayAssembler.assemble("rs", names(paths), ArrayOptions.defaults())) {
            a.write(12345, ByteBuffer.wrap(data), false).join();
            a.failMember(paths.get(0).toString());
            a.removeMember(paths.get(0).toString());
            a.setSpeedLimits(new io.raid5d.core.resync.StripeSweep.SpeedLimits(64, 2048)); // slow: ~4 s
            a.addSpare(spare.toString().toString());
            long t0 = System.nanoTime();
            while (a.members().recoveredBelow() == 0 && System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.sleep(20);
            }
            Thread.sleep(1200); // at least one checkpoint
        } // stop mid-rebuild
        Superblock sb = readSuperblock(spare);
        assertTrue(sb.hasRecoveryOffset(), "still in recovery");
        long checkpoint = sb.getRecoveryOffset();
        assertTrue(checkpoint > 0 && checkpoint < (8L << 20) / 512, "checkpoint " + checkpoint);
        List<Path> now = new ArrayList<>(paths);
        now.set(0, spare);
        try (Raid5Array a = ArrayAssembler.assemble("rs", names(now), ArrayOptions.defaults())) {
            assertEquals(MemberSet.Slot.REBUILDING, a.members().slot(0));
            assertTrue(a.members().recoveredBelow() >= checkpoint, "resumes from the checkpoint");
            a.awaitRebuild();
            assertEquals(MemberSet.Slot.IN_SYNC, a.members().slot(0));
            ByteBuffer b = ByteBuffer.allocate(data.length);
            a.read(12345, b).join();
            assertArrayEquals(data, b.array());
        }
        assertEquals(0, TestArrays.mismatchedSectors(now));
    }
}
