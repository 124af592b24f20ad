package io.raid5d.benchmarks;

import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.intent.SwitchableWriteIntentLog;
import io.raid5d.core.intent.AlwaysWrittenLog;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the write-intent seam costs the engine per write (issue #14): run with {@code -prof gc}
 * and read {@code gc.alloc.rate.norm} (bytes per op).
 * <ul>
 * <li>{@code intentRound}: one write pass's calls on the array's switchable log over
 * {@link AlwaysWrittenLog} (startWrite, isBatchWritten, endWrite): the seam alone;</li>
 * <li>{@code randomWrite4k}: one 4 KiB random write through the whole engine (internal bitmap,
 * members in /dev/shm, or -Dbench.dir), waited for: everything a write allocates.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class WriteIntentAllocationBenchmark {

    @State(Scope.Thread)
    public static class Seam {
        SwitchableWriteIntentLog log;
        long sector;

        @Setup(Level.Trial)
        public void setUp() {
            log = new SwitchableWriteIntentLog(new AlwaysWrittenLog()); // a log that costs nothing itself
        }
    }

    @Benchmark
    public boolean intentRound(Seam s) {
        long sector = (s.sector += 8) & 0xffff;
        long seq = s.log.startWrite(sector, 8);
        boolean written = s.log.isBatchWritten(seq);
        s.log.endWrite(seq, sector, 8, true, false);
        return written;
    }

    @State(Scope.Thread)
    public static class Engine {
        Path dir;
        List<Path> paths;
        Raid5Array array;
        ByteBuffer page;
        SplittableRandom random = new SplittableRandom(4);
        long pages;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "/dev/shm")), "intent-bench");
            paths = EngineDriver.create(dir, 64 << 10, 64L << 20);
            array = ArrayAssembler.assemble("bench", io.raid5d.core.member.MemberDevices.names(paths), ArrayOptions.defaults().withIoThreads(4));
            page = ByteBuffer.allocateDirect(4096);
            pages = array.sizeBytes() / 4096;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            array.close();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    @Benchmark
    public void randomWrite4k(Engine e) {
        e.page.clear();
        java.util.concurrent.CompletableFuture<Void> done = e.array.write(e.random.nextLong(e.pages) * 4096, e.page, false);
        e.array.unplug(); // the end of a burst, as the NBD server says after each read of the socket
        done.join();
    }
}
