package io.raid5d.benchmarks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.stripe.StripeMetrics;
import io.raid5d.core.superblock.NewArrayPlan;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Drives a {@link Raid5Array} on member files directly (no NBD) at a fixed queue depth, to see
 * the engine's own throughput and counters. A measuring tool, not a test:
 * {@code java -cp benchmarks/target/benchmarks.jar io.raid5d.benchmarks.EngineDriver DIR seqwrite|seqread|randwrite|randread
 * [chunkKiB] [cache] [seconds] [qd] [bs]}
 */
public final class EngineDriver {
    private EngineDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String mode = args[1];
        int chunk = (args.length > 2 ? Integer.parseInt(args[2]) : 512) * 1024;
        int cache = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        int qd = args.length > 5 ? Integer.parseInt(args[5]) : (mode.startsWith("seq") ? 16 : 32);
        int bs = args.length > 6 ? Integer.parseInt(args[6]) : (mode.startsWith("seq") ? 1 << 20 : 4096);
        int split = Integer.getInteger("split", 0);
        long memberBytes = 512L << 20;
        List<Path> paths = create(dir, chunk, memberBytes);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Raid5Array array = ArrayAssembler.assemble("bench", io.raid5d.core.member.MemberDevices.names(paths),
                ArrayOptions.defaults().withStripeCacheSize(cache).withMeterRegistry(registry));
        long size = array.sizeBytes() / bs * bs;
        Semaphore slots = new Semaphore(qd);
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < qd; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(bs);
            while (b.hasRemaining()) {
                b.put((byte) ThreadLocalRandom.current().nextInt());
            }
            buffers.add(b.flip());
        }
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long ops = 0;
        long pos = 0;
        boolean write = mode.endsWith("write");
        boolean seq = mode.startsWith("seq");
        while (System.nanoTime() < end) {
            slots.acquire();
            ByteBuffer b = buffers.get((int) (ops % qd)).duplicate().clear();
            long offset = seq ? pos : ThreadLocalRandom.current().nextLong(size / bs) * bs;
            pos = (pos + bs) % size;
            CompletableFuture<Void> f;
            if (write && split > 0) { // like an NBD payload that arrived in several receive buffers
                List<ByteBuffer> parts = new ArrayList<>();
                int at = 0;
                while (at < bs) {
                    int n = Math.min(bs - at, at == 0 ? split - 28 : split);
                    parts.add(b.duplicate().limit(at + n).position(at));
                    at += n;
                }
                f = array.write(offset, parts.toArray(new ByteBuffer[0]), false);
            } else {
                f = write ? array.write(offset, b, false) : array.read(offset, b);
            }
            f.whenComplete((v, e) -> {
                if (e != null) {
                    e.printStackTrace();
                }
                slots.release();
            });
            ops++;
            if (ops % qd == 0) {
                array.unplug();
            }
        }
        array.unplug();
        slots.acquire(qd);
        double secs = (System.nanoTime() - start) / 1e9;
        StripeMetrics m = array.metrics();
        System.out.printf("%s chunk %dK cache %d qd %d bs %d: %.0f MiB/s, %.0f IOPS%n", mode, chunk / 1024, cache, qd, bs,
                ops * (double) bs / secs / (1 << 20), ops / secs);
        System.out.printf("rmw %d rcw %d prereads %d waits %d hits %d misses %d batches %d (mean %.1f max %.0f) "
                        + "member writes %d (mean %.0f bytes)%n",
                m.readModifyWrites(), m.reconstructWrites(), m.prereadPages(), m.waitsForFreeStripe(), m.cacheHits(),
                m.cacheMisses(), m.batchStripes().count(), m.batchStripes().mean(), m.batchStripes().max(),
                m.memberWriteBytes().count(), m.memberWriteBytes().mean());
        array.close();
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }

    /** Member files of a new 4-member array with an internal bitmap (clean: all zeros), in {@code dir}. */
    static List<Path> create(Path dir, int chunk, long usedBytes) throws Exception {
        List<Path> paths = new ArrayList<>();
        List<MemberDevice> devices = new ArrayList<>();
        NewArrayPlan.Request req = new NewArrayPlan.Request().name("bench").raidDisks(4).chunkBytes(chunk)
                .requestedSizeBytes(usedBytes).bitmap(NewArrayPlan.BitmapKind.INTERNAL).assumeClean(true);
        try {
            for (int i = 0; i < 4; i++) {
                Path p = dir.resolve("bench" + i + ".img");
                Files.deleteIfExists(p);
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(usedBytes + (4 << 20));
                }
                paths.add(p);
                MemberDevice d = MemberDevices.open(p, false);
                devices.add(d);
                req.member(d.path(), d.sizeBytes());
            }
            NewArrayPlan.plan(req).writeTo(devices);
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
        return paths;
    }
}
