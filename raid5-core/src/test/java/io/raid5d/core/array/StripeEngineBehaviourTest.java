package io.raid5d.core.array;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the stripe engine promises, proven by its counters and by the members' bytes. */
class StripeEngineBehaviourTest {
    private static final int KIB = 1024;

    private static ArrayOptions quiet(MeterRegistry registry) {
        // No unplug timer: stripes leave the delayed and bitmap lists only when the test says so.
        return ArrayOptions.defaults().withUnplugDelayMicros(0).withMeterRegistry(registry).withIoThreads(4);
    }

    @Test
    void sequentialMebibyteWritesAreBatchedWithoutPreReads(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "b", 4, 64 * KIB, 8L << 20);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Raid5Array array = ArrayAssembler.assemble("b", names(paths), quiet(registry).withStripeCacheSize(512));
        byte[] data = new byte[3 << 20]; // three 1 MiB requests = 16 rows of 3 x 64 KiB
        new Random(7).nextBytes(data);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            writes.add(array.write((long) i << 20, ByteBuffer.wrap(data, i << 20, 1 << 20), false));
        }
        array.unplug(); // the end of the burst, as the NBD layer signals it
        for (CompletableFuture<Void> w : writes) {
            w.get(60, TimeUnit.SECONDS);
        }
        assertEquals(0, array.metrics().prereadPages(), "rows cut by request boundaries were filled, not pre-read");
        assertEquals(0, array.readModifyWrites());
        assertEquals(256, array.reconstructWrites()); // 16 rows x 16 heads, all full-stripe
        double meanWrite = array.metrics().memberWriteBytes().mean();
        assertTrue(meanWrite >= 64 * KIB, "members got writes of " + meanWrite + " bytes on average");
        assertTrue(array.metrics().batchStripes().max() >= 64, "a batch spans several rows");
        assertEquals(registry.get("raid5.member.write.bytes").tag("array", "b").summary().mean(), meanWrite);
        ByteBuffer back = ByteBuffer.allocate(data.length);
        array.read(0, back).get();
        assertArrayEquals(data, back.array());
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void aPayloadInSeveralOddSizedBuffersIsStillAFullStripeWrite(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "g", 4, 64 * KIB, 8L << 20);
        Raid5Array array = ArrayAssembler.assemble("g", names(paths), quiet(new SimpleMeterRegistry()).withStripeCacheSize(512));
        byte[] data = new byte[3 << 20];
        new Random(8).nextBytes(data);
        List<ByteBuffer> parts = new ArrayList<>();
        int at = 0;
        Random r = new Random(9);
        while (at < data.length) { // like receive buffers after a 28-byte NBD header: never page aligned
            int n = Math.min(data.length - at, at == 0 ? 65536 - 28 : 1 + r.nextInt(70000));
            parts.add(ByteBuffer.wrap(data, at, n).slice());
            at += n;
        }
        array.write(0, parts.toArray(new ByteBuffer[0]), false).get(60, TimeUnit.SECONDS);
        assertEquals(0, array.metrics().prereadPages(), "pages split between buffers still count as overwritten");
        assertEquals(0, array.readModifyWrites());
        assertTrue(array.metrics().batchStripes().max() >= 64);
        assertArrayEquals(data, Arrays.copyOf(Raid5ArrayModelTest.readAll(array), data.length));
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void subStripeWritesPickTheCheaperMethod(@TempDir Path dir) throws Exception {
        // 8 members: one page of 7 costs rmw 2 reads, rcw 6 -> read-modify-write.
        List<Path> wide = TestArrays.create(dir, "w", 8, 64 * KIB, 4L << 20);
        Raid5Array array = ArrayAssembler.assemble("w", names(wide), quiet(new SimpleMeterRegistry()));
        Random r = new Random(3);
        byte[] model = new byte[(int) array.sizeBytes()];
        for (int i = 0; i < 200; i++) {
            long page = r.nextInt((int) (array.sizeBytes() / 4096));
            byte[] data = new byte[4096];
            r.nextBytes(data);
            array.write(page * 4096, ByteBuffer.wrap(data), true).get(); // FUA: never waits for an unplug
            System.arraycopy(data, 0, model, (int) page * 4096, 4096);
        }
        assertEquals(200, array.readModifyWrites());
        assertEquals(0, array.reconstructWrites());
        assertArrayEquals(model, Raid5ArrayModelTest.readAll(array));
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(wide));

        // 5 members: 3 of 4 data pages of a column -> rcw 1 read, rmw 4: reconstruct-write.
        List<Path> five = TestArrays.create(dir, "f", 5, 64 * KIB, 4L << 20);
        Raid5Array mid = ArrayAssembler.assemble("f", names(five), quiet(new SimpleMeterRegistry()));
        int row = 4 * 64 * KIB;
        for (int i = 0; i < 10; i++) {
            mid.write((long) i * row, ByteBuffer.allocate(3 * 64 * KIB), true).get();
        }
        assertEquals(10 * 16, mid.reconstructWrites());
        assertEquals(0, mid.readModifyWrites());
        // ... and one page of 4 -> rmw 2 reads, rcw 3: read-modify-write.
        mid.write(row * 20L + 4096, ByteBuffer.allocate(4096), true).get();
        assertEquals(1, mid.readModifyWrites());
        mid.close();
        assertEquals(0, TestArrays.mismatchedSectors(five));
    }

    @Test
    void partialWritesWaitOnTheDelayedListUntilUnplug(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "d", 4, 64 * KIB, 4L << 20);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Raid5Array array = ArrayAssembler.assemble("d", names(paths), quiet(registry));
        CompletableFuture<Void> w = array.write(100, ByteBuffer.allocate(1000), false);
        awaitTrue(() -> gauge(registry, "raid5.stripe.list", "delayed") == 1, "the stripe parks on the delayed list");
        assertFalse(w.isDone());
        assertEquals(0, array.metrics().prereadPages());
        array.unplug(); // a burst end gives it one more burst to be filled; a FLUSH releases it at once
        array.flush().get(60, TimeUnit.SECONDS);
        w.get(60, TimeUnit.SECONDS);
        assertEquals(2, array.metrics().prereadPages()); // rcw: the rest of the page, and the other data page
        assertEquals(0.0, gauge(registry, "raid5.stripe.list", "delayed"));
        array.close();
    }

    @Test
    void stripesWaitOnTheBitmapListUntilTheirBatchIsWritten(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "i", 4, 64 * KIB, 4L << 20);
        RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Raid5Array array = ArrayAssembler.assemble("i", names(paths), quiet(registry).withWriteIntentLog((m, s) -> log));
        log.hold(true);
        byte[] row = new byte[3 * 64 * KIB * 4]; // four full rows: batchable
        new Random(11).nextBytes(row);
        byte[] before = memberBytes(paths.get(0));
        CompletableFuture<Void> full = array.write(0, ByteBuffer.wrap(row), false);
        // All 64 heads start in batch 1 before anything unplugs (a FUA write unplugs at once).
        awaitTrue(() -> gauge(registry, "raid5.stripe.list", "bitmap") == 64, "stripes park on the bitmap list");
        CompletableFuture<Void> small = array.write(row.length + 8192, ByteBuffer.wrap(new byte[4096]), true);
        array.unplug(); // closes the batch; the held log does not write it yet
        awaitTrue(() -> log.seqFlush() >= 1, "the batch was closed");
        awaitTrue(() -> gauge(registry, "raid5.stripe.list", "bitmap") == 64 + 1, "every stripe waits for its batch");
        assertFalse(full.isDone() || small.isDone(), "no write completes before its bitmap batch is on disk");
        assertArrayEquals(before, memberBytes(paths.get(0)), "nothing reached a member before the bitmap");
        long starts = log.count("start");
        assertEquals(65, starts, "one startWrite per stripe head");
        log.release();
        array.unplug(); // a stripe that started after the first unplug is in the next batch: close it too
        full.get(60, TimeUnit.SECONDS);
        small.get(60, TimeUnit.SECONDS);
        List<RecordingWriteIntentLog.Call> calls = log.calls();
        int written = indexOf(calls, "written");
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).kind().startsWith("end")) {
                assertTrue(i > written, "endWrite only after the batch was written: " + calls);
            }
        }
        assertTrue(array.metrics().batchStripes().max() >= 64, "the settled full stripes were batched");
        array.close();
        assertEquals(0, log.outstanding());
        assertEquals(0, log.unbalancedEnds());
        assertEquals(log.count("start"), log.count("end"));
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void requestsLargerThanTheCacheWaitForFreeHeadsAndTheCacheCanBeResized(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "c", 3, 16 * KIB, 4L << 20);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Raid5Array array = ArrayAssembler.assemble("c", names(paths), ArrayOptions.defaults().withStripeCacheSize(17)
                .withMeterRegistry(registry));
        byte[] data = new byte[(int) array.sizeBytes()];
        new Random(5).nextBytes(data);
        array.write(0, ByteBuffer.wrap(data), false).get(60, TimeUnit.SECONDS); // 1024 heads' worth through 17
        assertTrue(array.metrics().waitsForFreeStripe() >= 1);
        assertEquals(17, array.stripeCacheSize());
        assertThrows(IllegalArgumentException.class, () -> array.setStripeCacheSize(16));
        array.setStripeCacheSize(300);
        assertEquals(300.0, gauge(registry, "raid5.stripe.cache.size", null));
        assertEquals(300.0, gauge(registry, "raid5.stripe.inactive", null));
        CompletableFuture<Void> again = array.write(1000, ByteBuffer.wrap(data, 0, 900_000), false);
        array.setStripeCacheSize(20); // shrinks while the write runs
        again.get(60, TimeUnit.SECONDS);
        System.arraycopy(data, 0, data, 1000, 900_000);
        assertEquals(20.0, gauge(registry, "raid5.stripe.inactive", null));
        assertArrayEquals(data, Raid5ArrayModelTest.readAll(array));
        array.close();
        assertEquals(0, TestArrays.mismatchedSectors(paths));
    }

    @Test
    void readsOfCachedPagesAreServedFromTheCache(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "h", 4, 64 * KIB, 4L << 20);
        Raid5Array array = ArrayAssembler.assemble("h", names(paths), quiet(new SimpleMeterRegistry()));
        byte[] data = new byte[3000];
        new Random(1).nextBytes(data);
        array.write(500, ByteBuffer.wrap(data), true).get(); // partial page: copied into the cache
        ByteBuffer back = ByteBuffer.allocate(3000);
        array.read(500, back).get();
        assertArrayEquals(data, back.array());
        assertEquals(1, array.metrics().cacheHits());
        array.read(1 << 20, ByteBuffer.allocate(4096)).get();
        assertEquals(1, array.metrics().cacheMisses());
        array.close();
    }

    private static int indexOf(List<RecordingWriteIntentLog.Call> calls, String kind) {
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).kind().equals(kind)) {
                return i;
            }
        }
        throw new AssertionError("no " + kind + " in " + calls);
    }

    private static double gauge(MeterRegistry registry, String name, String list) {
        var search = registry.get(name);
        Gauge g = list == null ? search.gauge() : search.tag("list", list).gauge();
        return g.value();
    }

    /** Waits for a condition the engine reaches on its own threads (bounded; not a timing assertion). */
    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    private static byte[] memberBytes(Path p) throws Exception {
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 8 << 20));
            ch.read(b, 0);
            return b.array();
        }
    }
}
