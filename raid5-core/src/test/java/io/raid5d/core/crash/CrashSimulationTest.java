package io.raid5d.core.crash;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayMetadata;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.BitmapTarget;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssembledMembers;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash simulation for DESIGN.md's write-intent invariant. A concurrent random workload runs on
 * members that journal every completed write and sync (member data, parity, superblocks and the
 * internal bitmap alike); the journal is then cut at many points, keeping what was surely durable
 * plus a random subset of unsynced writes (the last one possibly torn). On every crash image,
 * every stripe whose parity is inconsistent must lie under a bitmap bit that is set on disk, and
 * a superblock that says clean must mean no stripe is inconsistent.
 */
class CrashSimulationTest {
    private static final int MEMBERS = 4;
    private static final int CHUNK = 16 * 1024;
    private static final long USED = 1L << 20;
    private static final long BITMAP_CHUNK = 32 * 1024;
    private static final int CUTS = 1500;

    @Test
    void everyInconsistentStripeLiesUnderASetBitAtEveryCut(@TempDir Path dir) throws Exception {
        List<String> violations = simulate(dir, 11, UnaryOperator.identity());
        assertTrue(violations.isEmpty(), violations.size() + " violations, first: " + violations.subList(0, Math.min(5, violations.size())));
    }

    /** The test has teeth: let member writes go ahead before the bitmap batch is durable, and it fails. */
    @Test
    void writingBeforeTheBitmapIsDurableIsCaught(@TempDir Path dir) throws Exception {
        List<String> violations = simulate(dir, 12, NotWaitingForTheBitmap::new);
        assertFalse(violations.isEmpty(), "removing the wait for the bitmap must break the invariant at some cut");
    }

    /**
     * grow --bitmap mid-run: internal -> none -> internal while the workload writes. Every new
     * bitmap starts all set and durable before the superblocks name it, so the invariant holds at
     * every cut, including cuts between the bitmap area write and the superblock writes.
     */
    @Test
    void switchingTheBitmapMidRunKeepsTheInvariantAtEveryCut(@TempDir Path dir) throws Exception {
        List<String> violations = simulate(dir, 13, UnaryOperator.identity(), array -> {
            try {
                for (String step : List.of("none", "internal", "none", "internal")) {
                    Thread.sleep(10);
                    array.switchWriteIntentLog(BitmapTarget.parse(step));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(violations.isEmpty(), violations.size() + " violations, first: " + violations.subList(0, Math.min(5, violations.size())));
    }

    private static List<String> simulate(Path dir, long seed, UnaryOperator<WriteIntentLog> logWrapper) throws Exception {
        return simulate(dir, seed, logWrapper, array -> { });
    }

    private static List<String> simulate(Path dir, long seed, UnaryOperator<WriteIntentLog> logWrapper,
                                         Consumer<Raid5Array> duringWorkload) throws Exception {
        List<Path> paths = create(dir);
        byte[][] initial = new byte[MEMBERS][];
        for (int i = 0; i < MEMBERS; i++) {
            initial[i] = Files.readAllBytes(paths.get(i));
        }
        CrashJournal journal = new CrashJournal();
        Raid5Array array = assembleRecorded(paths, journal, logWrapper);
        CompletableFuture<Void> beside = CompletableFuture.runAsync(() -> duringWorkload.accept(array));
        runWorkload(array, seed);
        beside.get(2, TimeUnit.MINUTES);
        array.close(); // a crash during the clean stop is a crash too: it stays in the journal
        journal.stop();

        List<CrashJournal.Event> events = journal.events();
        CrashImages images = new CrashImages(initial, events);
        Random random = new Random(seed);
        List<String> violations = new ArrayList<>();
        int step = Math.max(1, events.size() / CUTS);
        int cuts = 0;
        for (int cut = 0; cut <= events.size(); cut += 1 + random.nextInt(2 * step), cuts++) {
            images.advanceTo(cut);
            byte[][] crashed = images.crash(random, random.nextInt(4) != 0, random.nextBoolean());
            for (String v : WriteIntentInvariant.violations(crashed)) {
                violations.add("cut " + cut + "/" + events.size() + ": " + v);
            }
        }
        System.out.printf("crash simulation: %d journal events, %d cuts checked, %d violations%n",
                events.size(), cuts, violations.size());
        images.advanceTo(events.size());
        assertTrue(WriteIntentInvariant.violations(images.everything()).isEmpty(), "the completed run is consistent");
        return violations;
    }

    private static void runWorkload(Raid5Array array, long seed) throws Exception {
        int size = (int) array.sizeBytes();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long threadSeed = seed * 31 + t;
            done.add(pool.submit(() -> {
                Random r = new Random(threadSeed);
                for (int op = 0; op < 60; op++) {
                    int len = 512 * (1 + r.nextInt(r.nextInt(8) == 0 ? 200 : 24));
                    int at = r.nextInt(size - len + 1) & ~511;
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    CompletableFuture<Void> w = array.write(at, ByteBuffer.wrap(data), r.nextInt(8) == 0);
                    if (r.nextInt(3) == 0) {
                        array.unplug();
                    }
                    w.get(60, TimeUnit.SECONDS);
                    if (r.nextInt(20) == 0) {
                        array.flush().get(60, TimeUnit.SECONDS);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(2, TimeUnit.MINUTES);
        }
        pool.shutdown();
    }

    /** Assembles the array by hand so each member is wrapped in a journaling device. */
    private static Raid5Array assembleRecorded(List<Path> paths, CrashJournal journal,
                                               UnaryOperator<WriteIntentLog> logWrapper) throws Exception {
        AssembledMembers am = ArrayAssembler.open(names(paths), false);
        List<MemberDevice> wrapped = new ArrayList<>();
        long[] dataOffsets = new long[MEMBERS];
        for (int role = 0; role < MEMBERS; role++) {
            wrapped.add(new RecordingMemberDevice(am.members().member(role), journal, deviceIndex(paths, am, role)));
            dataOffsets[role] = am.superblocks().get(role).getDataOffset();
        }
        MemberSet members = new MemberSet(am.members().geometry(), wrapped, dataOffsets);
        List<Superblock> sbs = am.superblocks();
        WriteIntentLog log = logWrapper.apply(BitmapWriteIntentLog.open(members, sbs));
        ArrayMetadata metadata = new ArrayMetadata(members, sbs, log);
        Raid5Array array = new Raid5Array("crash", members, metadata, ArrayOptions.defaults().withIoThreads(4), log);
        array.start();
        return array;
    }

    /** The journal's device numbers are the file order, which is what the crash images are indexed by. */
    private static int deviceIndex(List<Path> paths, AssembledMembers am, int role) {
        return paths.indexOf(Path.of(am.members().member(role).path()));
    }

    private static List<Path> create(Path dir) throws Exception {
        return TestArrays.create(dir, "c", MEMBERS, USED + (1 << 20), new NewArrayPlan.Request().name("crash")
                .raidDisks(MEMBERS).chunkBytes(CHUNK).requestedSizeBytes(USED).bitmap(NewArrayPlan.BitmapKind.INTERNAL)
                .bitmapChunkBytes(BITMAP_CHUNK).assumeClean(true));
    }

    /** A log that claims every batch is durable at once: the bug the invariant exists to catch. */
    private static final class NotWaitingForTheBitmap implements WriteIntentLog {
        private final WriteIntentLog real;

        NotWaitingForTheBitmap(WriteIntentLog real) {
            this.real = real;
        }

        @Override
        public long startWrite(long memberSector, long sectors) {
            return real.startWrite(memberSector, sectors);
        }

        @Override
        public boolean isBatchWritten(long bmSeq) {
            return true;
        }

        @Override
        public void onBatchWritten(Runnable listener) {
            real.onBatchWritten(listener);
        }

        @Override
        public void unplug() {
            real.unplug();
        }

        @Override
        public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
            real.endWrite(memberSector, sectors, success, degraded);
        }

        @Override
        public void recordEvents(long events) throws java.io.IOException {
            real.recordEvents(events);
        }

        @Override
        public void flushForCleanStop() throws java.io.IOException {
            real.flushForCleanStop();
        }

        @Override
        public void close() throws java.io.IOException {
            real.close();
        }
    }
}
