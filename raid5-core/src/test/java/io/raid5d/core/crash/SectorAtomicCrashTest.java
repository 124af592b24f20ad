package io.raid5d.core.crash;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayMetadata;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssembledMembers;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash simulation for sector atomicity (issue #13). Writes arrive as NBD payloads do: one
 * request whose bytes lie in several buffers split at odd byte offsets (mid-sector, mid-page),
 * so a page's pieces come from different buffers. Every member write and sync is journaled;
 * the journal is cut at every event (at least 10,000 cut points), each cut giving a crash image
 * with a random subset of the unsynced writes (the last one possibly torn at a sector
 * boundary, as a disk may). On every image: each array sector is whole (old or new, never part
 * of each), every write acknowledged with FUA or before a completed FLUSH is there (or a newer
 * one), and the write-intent invariant holds (an inconsistent row lies under a set bit, so the
 * resync md runs after the crash fixes its parity).
 */
class SectorAtomicCrashTest {
    private static final int MEMBERS = 4;
    private static final int CHUNK = 16 * 1024;
    private static final long USED = 1L << 20;
    private static final int THREADS = 4;
    private static final int OPS = 150;
    private static final int MIN_CUTS = 10_000;

    @Test
    void everySectorIsWholeAndEveryDurableWriteIsThereAtEveryCut(@TempDir Path dir) throws Exception {
        Result r = simulate(dir, 21, false);
        assertTrue(r.cuts >= MIN_CUTS, r.cuts + " cuts");
        assertTrue(r.violations.isEmpty(), r.violations.size() + " violations, first: "
                + r.violations.subList(0, Math.min(5, r.violations.size())));
    }

    /**
     * The test has teeth: write each buffer of a request as its own request (what the daemon's
     * decorator did before the fix, here one after the other), and some cut finds a torn sector.
     */
    @Test
    void writingEachBufferAsItsOwnRequestTearsSectors(@TempDir Path dir) throws Exception {
        Result r = simulate(dir, 22, true);
        assertFalse(r.violations.stream().noneMatch(v -> v.contains("torn")),
                "splitting a request between buffers must tear a sector at some cut: " + r.violations.size());
    }

    /**
     * Deterministic: requests whose buffers split sectors (480 + 32 bytes, as in the report),
     * pages and stripes, on a whole array and a degraded one; no member write, of any pass, ever
     * carries half of a sector of them. Writing each buffer as its own request does.
     */
    @Test
    void noMemberWriteCarriesHalfASector(@TempDir Path dir) throws Exception {
        for (boolean degraded : new boolean[] {false, true}) {
            for (boolean splitRequests : new boolean[] {false, true}) {
                Path sub = Files.createDirectories(dir.resolve("d" + degraded + splitRequests));
                List<String> torn = halfSectorWrites(sub, degraded, splitRequests);
                if (splitRequests) {
                    assertFalse(torn.isEmpty(), "each buffer its own request puts half sectors on members (degraded=" + degraded + ")");
                } else {
                    assertTrue(torn.isEmpty(), "degraded=" + degraded + ": " + torn.subList(0, Math.min(5, torn.size())));
                }
            }
        }
    }

    private static List<String> halfSectorWrites(Path dir, boolean degraded, boolean splitRequests) throws Exception {
        List<Path> paths = TestArrays.create(dir, "h", MEMBERS, USED + (1 << 20), new NewArrayPlan.Request().name("half")
                .raidDisks(MEMBERS).chunkBytes(CHUNK).requestedSizeBytes(USED).bitmap(NewArrayPlan.BitmapKind.INTERNAL)
                .bitmapChunkBytes(32 * 1024).assumeClean(true));
        CrashJournal journal = new CrashJournal();
        Raid5Array array = assembleRecorded(paths, journal);
        if (degraded) {
            array.failMember(array.members().member(2).path());
        }
        long id = 0;
        // {array offset, length, buffer cuts...}: a sector split 480+32; a page split mid-sector; a
        // whole stripe row split at odd offsets (full-stripe batch); a write twice over one page
        long row = (long) CHUNK * (MEMBERS - 1);
        long[][] requests = {{0, 4096, 480}, {8192 + 512, 8192, 3000, 4096 + 77}, {row, (int) row, 1, 12345, 40001},
                {2 * row + 1024, 1024, 511}, {2 * row + 1024, 1024, 513}};
        for (long[] q : requests) {
            byte[] data = SectorContent.of(++id, q[0], (int) q[1]);
            List<ByteBuffer> parts = new ArrayList<>();
            int from = 0;
            for (int i = 2; i <= q.length; i++) {
                int to = i < q.length ? (int) q[i] : data.length;
                parts.add(ByteBuffer.wrap(data, from, to - from).slice());
                from = to;
            }
            write(array, q[0], parts.toArray(ByteBuffer[]::new), false, splitRequests).get(60, TimeUnit.SECONDS);
            array.flush().get(60, TimeUnit.SECONDS);
        }
        Geometry g = array.geometry();
        long[] dataOffset = new long[MEMBERS];
        int[] roleOfDevice = new int[MEMBERS];
        for (int role = 0; role < MEMBERS; role++) {
            int device = paths.indexOf(Path.of(array.members().member(role).path()));
            roleOfDevice[device] = role;
            dataOffset[role] = array.members().rowAddress(role, 0);
        }
        array.close();
        List<String> torn = new ArrayList<>();
        for (CrashJournal.Event e : journal.events()) {
            if (e.kind() != CrashJournal.Kind.WRITE) {
                continue;
            }
            int role = roleOfDevice[e.device()];
            for (int i = 0; i + 512 <= e.data().length; i += 512) {
                long memberByte = e.offset() + i - dataOffset[role];
                if (memberByte < 0 || memberByte >= g.memberSectors() * 512) {
                    continue; // superblock, bitmap
                }
                long memberSector = memberByte / 512;
                if (g.parityDisk(memberSector / g.chunkSectors()) == role) {
                    continue;
                }
                long arraySector = g.arraySectorOf(role, memberSector);
                if (SectorContent.identify(e.data(), i, arraySector) == SectorContent.TORN) {
                    torn.add("member write " + e.index() + " to role " + role + " carries half of array sector " + arraySector);
                }
            }
        }
        return torn;
    }

    private record Result(int cuts, List<String> violations) {
    }

    /** A promise the array made: from journal position {@code at} on, each sector holds at least this id. */
    private record Durable(int at, long firstSector, long[] minIds) {
    }

    private static Result simulate(Path dir, long seed, boolean splitRequests) throws Exception {
        List<Path> paths = TestArrays.create(dir, "s", MEMBERS, USED + (1 << 20), new NewArrayPlan.Request().name("atomic")
                .raidDisks(MEMBERS).chunkBytes(CHUNK).requestedSizeBytes(USED).bitmap(NewArrayPlan.BitmapKind.INTERNAL)
                .bitmapChunkBytes(32 * 1024).assumeClean(true));
        byte[][] initial = new byte[MEMBERS][];
        for (int i = 0; i < MEMBERS; i++) {
            initial[i] = Files.readAllBytes(paths.get(i));
        }
        CrashJournal journal = new CrashJournal();
        Raid5Array array = assembleRecorded(paths, journal);
        List<Durable> promises = java.util.Collections.synchronizedList(new ArrayList<>());
        runWorkload(array, journal, promises, seed, splitRequests);
        array.close();
        journal.stop();

        List<CrashJournal.Event> events = journal.events();
        CrashImages images = new CrashImages(initial, events);
        Random random = new Random(seed);
        List<String> violations = new ArrayList<>();
        int perCut = Math.max(1, (MIN_CUTS + events.size()) / Math.max(1, events.size()));
        int cuts = 0;
        for (int cut = 0; cut <= events.size(); cut++) {
            images.advanceTo(cut);
            for (int k = 0; k < perCut; k++, cuts++) {
                byte[][] crashed = images.crash(random, random.nextInt(4) != 0, random.nextBoolean());
                for (String v : check(crashed, cut, promises)) {
                    violations.add("cut " + cut + "/" + events.size() + ": " + v);
                }
                if (violations.size() > 50) {
                    return new Result(cuts, violations);
                }
            }
        }
        System.out.printf("sector atomicity crash simulation%s: %d journal events, %d cuts, %d promises, %d violations%n",
                splitRequests ? " (requests split per buffer)" : "", events.size(), cuts, promises.size(), violations.size());
        return new Result(cuts, violations);
    }

    private static List<String> check(byte[][] image, int cut, List<Durable> promises) throws Exception {
        List<String> out = new ArrayList<>(WriteIntentInvariant.violations(image));
        Superblock[] sbs = new Superblock[image.length];
        for (int d = 0; d < image.length; d++) {
            sbs[d] = Superblock.decode(ByteBuffer.wrap(image[d], (int) Superblock.SUPER_OFFSET_BYTES, 4096).slice());
        }
        Geometry g = Geometry.of(sbs[0].getRaidDisks(), sbs[0].getChunkSectors(), sbs[0].getLayout(), sbs[0].getSize());
        byte[][] byRole = new byte[g.raidDisks()][];
        long[] dataOffset = new long[g.raidDisks()];
        for (int d = 0; d < image.length; d++) {
            int role = sbs[d].roleOf(sbs[d].getDevNumber());
            byRole[role] = image[d];
            dataOffset[role] = sbs[d].getDataOffset() * 512;
        }
        long sectors = g.arraySectors();
        long[] ids = new long[(int) sectors];
        for (long s = 0; s < sectors; s++) {
            int m = g.memberOf(s);
            int at = (int) (dataOffset[m] + g.memberSectorOf(s) * 512);
            ids[(int) s] = SectorContent.identify(byRole[m], at, s);
            if (ids[(int) s] == SectorContent.TORN) {
                out.add("array sector " + s + " is torn (neither whole nor initial)");
            }
        }
        synchronized (promises) {
            for (Durable p : promises) {
                if (p.at() > cut) {
                    continue;
                }
                for (int i = 0; i < p.minIds().length; i++) {
                    long s = p.firstSector() + i;
                    if (p.minIds()[i] > 0 && ids[(int) s] != SectorContent.TORN && ids[(int) s] < p.minIds()[i]) {
                        out.add("array sector " + s + " lost durable write " + p.minIds()[i] + " (holds " + ids[(int) s] + ")");
                    }
                }
            }
        }
        return out;
    }

    /** THREADS writers, each in its own part of the array, so each sector's writes are ordered. */
    private static void runWorkload(Raid5Array array, CrashJournal journal, List<Durable> promises, long seed,
                                    boolean splitRequests) throws Exception {
        long sectors = array.sizeBytes() / SectorContent.SECTOR;
        long perThread = sectors / THREADS;
        AtomicLong ids = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long first = t * perThread;
            long threadSeed = seed * 31 + t;
            done.add(pool.submit(() -> {
                Random r = new Random(threadSeed);
                long[] last = new long[(int) perThread]; // newest acknowledged id per sector of this part
                for (int op = 0; op < OPS; op++) {
                    int n = 1 + r.nextInt(r.nextInt(6) == 0 ? 96 : 16);
                    long at = first + r.nextInt((int) (perThread - n + 1));
                    long id = ids.incrementAndGet();
                    byte[] data = SectorContent.of(id, at * 512, n * 512);
                    boolean fua = r.nextInt(6) == 0;
                    write(array, at * 512, split(data, r), fua, splitRequests).get(60, TimeUnit.SECONDS);
                    Arrays.fill(last, (int) (at - first), (int) (at - first + n), id);
                    if (fua) {
                        long[] min = new long[n];
                        Arrays.fill(min, id);
                        promises.add(new Durable(journal.position(), at, min));
                    }
                    if (r.nextInt(3) == 0) {
                        array.unplug();
                    }
                    if (r.nextInt(12) == 0) {
                        long[] acked = last.clone(); // every write so far was acknowledged
                        array.flush().get(60, TimeUnit.SECONDS);
                        promises.add(new Durable(journal.position(), first, acked));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(3, TimeUnit.MINUTES);
        }
        pool.shutdown();
    }

    /** The bytes in 1..5 buffers cut at random byte offsets, as receive buffers split an NBD payload. */
    private static ByteBuffer[] split(byte[] data, Random r) {
        int parts = 1 + r.nextInt(5);
        int[] cuts = new int[parts + 1];
        cuts[parts] = data.length;
        for (int i = 1; i < parts; i++) {
            cuts[i] = 1 + r.nextInt(data.length - 1);
        }
        Arrays.sort(cuts);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            if (cuts[i + 1] > cuts[i]) {
                ByteBuffer b = ByteBuffer.allocateDirect(cuts[i + 1] - cuts[i] + 3);
                b.position(3); // not at the start of its buffer either
                b.put(data, cuts[i], cuts[i + 1] - cuts[i]);
                b.position(3);
                out.add(b);
            }
        }
        return out.toArray(ByteBuffer[]::new);
    }

    private static CompletableFuture<Void> write(Raid5Array array, long offset, ByteBuffer[] parts, boolean fua,
                                                 boolean splitRequests) throws Exception {
        if (!splitRequests) {
            return array.write(offset, parts, fua);
        }
        long at = offset; // the bug: each buffer its own request
        for (ByteBuffer b : parts) {
            int n = b.remaining();
            array.write(at, b, fua).get(60, TimeUnit.SECONDS);
            at += n;
        }
        return CompletableFuture.completedFuture(null);
    }

    private static Raid5Array assembleRecorded(List<Path> paths, CrashJournal journal) throws Exception {
        AssembledMembers am = ArrayAssembler.open(names(paths), false);
        List<MemberDevice> wrapped = new ArrayList<>();
        long[] dataOffsets = new long[MEMBERS];
        for (int role = 0; role < MEMBERS; role++) {
            int device = paths.indexOf(Path.of(am.members().member(role).path()));
            wrapped.add(new RecordingMemberDevice(am.members().member(role), journal, device));
            dataOffsets[role] = am.superblocks().get(role).getDataOffset();
        }
        MemberSet members = new MemberSet(am.members().geometry(), wrapped, dataOffsets);
        List<Superblock> sbs = am.superblocks();
        WriteIntentLog log = BitmapWriteIntentLog.open(members, sbs);
        ArrayMetadata metadata = new ArrayMetadata(members, sbs, log);
        Raid5Array array = new Raid5Array("atomic", members, metadata, ArrayOptions.defaults().withIoThreads(4), log);
        array.start();
        assertEquals(MEMBERS, members.count());
        return array;
    }
}
