package io.raid5d.daemon.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.array.RaidArray;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.FileRange;
import java.util.List;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link RaidArray} that counts and times what its callers (the NBD export) ask of the
 * engine: requests, bytes, errors and latency per operation, measured from the call to the
 * completion of the future. The meters are looked up once, so a request costs two clock
 * reads and one completion callback.
 */
public final class MeteredRaidArray implements RaidArray {
    private final RaidArray engine;
    private final Op read;
    private final Op write;
    private final Op flush;
    private final Op trim;

    /** The meters of one operation. */
    private static final class Op {
        final Timer latency;
        final Counter bytes;
        final Counter errors;

        Op(MeterRegistry registry, Tags tags, String op) {
            Tags t = tags.and("op", op);
            latency = Timer.builder("raid5d.array.requests").description("requests completed by the array, and their latency")
                    .tags(t).publishPercentileHistogram().register(registry);
            bytes = Counter.builder("raid5d.array.bytes").description("bytes read, written or trimmed")
                    .baseUnit("bytes").tags(t).register(registry);
            errors = Counter.builder("raid5d.array.request.errors").description("requests that failed")
                    .tags(t).register(registry);
        }

        /** A request the array finished on the caller's thread. */
        void recordSince(long startNanos, long length) {
            latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            bytes.increment(length);
        }

        <T> CompletableFuture<T> time(CompletableFuture<T> f, long length) {
            long start = System.nanoTime();
            return f.whenComplete((v, e) -> {
                latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                if (e != null) {
                    errors.increment();
                } else if (length > 0) {
                    bytes.increment(length);
                }
            });
        }
    }

    public MeteredRaidArray(RaidArray engine, MeterRegistry registry) {
        this.engine = engine;
        Tags tags = Tags.of("array", engine.name());
        this.read = new Op(registry, tags, "read");
        this.write = new Op(registry, tags, "write");
        this.flush = new Op(registry, tags, "flush");
        this.trim = new Op(registry, tags, "trim");
    }

    public RaidArray engine() {
        return engine;
    }

    @Override
    public String name() {
        return engine.name();
    }

    @Override
    public long sizeBytes() {
        return engine.sizeBytes();
    }

    @Override
    public Geometry geometry() {
        return engine.geometry();
    }

    /** Counted as reads, with their (short) latency. */
    @Override
    public boolean readNow(long offset, ByteBuffer dst) {
        long start = System.nanoTime();
        int length = dst.remaining();
        boolean done = engine.readNow(offset, dst);
        if (done) {
            read.recordSince(start, length);
        }
        return done;
    }

    /** Counted as reads; the latency is the planning only (the send is the server's, not the array's). */
    @Override
    public List<FileRange> fileRanges(long offset, int length) {
        long start = System.nanoTime();
        List<FileRange> ranges = engine.fileRanges(offset, length);
        if (ranges != null) {
            read.recordSince(start, length);
        }
        return ranges;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        return read.time(engine.read(offset, dst), length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        return write.time(engine.write(offset, src, fua), length);
    }

    /** One request for the engine, however many receive buffers: sectors split between buffers stay whole. */
    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, boolean fua) {
        long length = 0;
        for (ByteBuffer b : srcs) {
            length += b.remaining();
        }
        return write.time(engine.write(offset, srcs, fua), length);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return flush.time(engine.flush(), 0);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return trim.time(engine.trim(offset, length), length);
    }

    @Override
    public void unplug() {
        engine.unplug();
    }

    @Override
    public ArrayStatus status() {
        return engine.status();
    }

    @Override
    public void close() throws IOException {
        engine.close();
    }
}
