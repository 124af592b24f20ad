package io.raid5d.benchmarks;

import io.raid5d.core.parity.Parity;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parity throughput over direct buffers.
 *
 * <p>Reported in ops/s where one op is one full stripe's parity; data throughput in bytes
 * per second is {@code ops/s * dataChunks * chunkKiB * 1024} (e.g. 3 x 64 KiB at 20,000
 * ops/s is 3.93 GB/s, decimal). {@code @OperationsPerInvocation} cannot depend on a
 * {@code @Param}, hence the conversion by hand.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParityBenchmark {

    @Param({"3", "7"})
    public int dataChunks;

    @Param({"64", "512"})
    public int chunkKiB;

    private ByteBuffer[] data;
    private ByteBuffer parity;

    @Setup(Level.Trial)
    public void setUp() {
        int chunk = chunkKiB * 1024;
        SplittableRandom random = new SplittableRandom(42);
        data = new ByteBuffer[dataChunks];
        for (int i = 0; i < dataChunks; i++) {
            data[i] = ByteBuffer.allocateDirect(chunk);
            while (data[i].hasRemaining()) {
                data[i].put((byte) random.nextInt());
            }
            data[i].clear();
        }
        parity = ByteBuffer.allocateDirect(chunk);
    }

    /** One op = parity of one stripe; bytes/s of data = ops/s * dataChunks * chunkKiB * 1024. */
    @Benchmark
    public void compute(Blackhole bh) {
        Parity.compute(parity, data, dataChunks);
        bh.consume(parity);
    }

    /**
     * Baseline for comparison, not used by raid5d: the straightforward loop, one word of
     * every source per step. Parity.compute must beat this to earn its complexity.
     */
    @Benchmark
    public void baselineWordLoop(Blackhole bh) {
        int len = parity.capacity();
        for (int i = 0; i < len; i += 8) {
            long x = 0;
            for (int k = 0; k < dataChunks; k++) {
                x ^= data[k].getLong(i);
            }
            parity.putLong(i, x);
        }
        bh.consume(parity);
    }
}
