package io.raid5d.core.array;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raid5d.core.intent.BitmapWriteIntentLog;
import io.raid5d.core.intent.WriteIntentLogFactory;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.core.stripe.StripeEngine;
import java.util.Objects;

/**
 * How to run an assembled array: stripe cache size (md's stripe_cache_size, default 256),
 * stripe worker threads, member I/O threads, unplug timer, largest full-stripe batch, where
 * metrics go, and which write-intent log to use.
 *
 * @param unplugDelayMicros after this long, stripes parked on the delayed or bitmap list are
 *                          released even without an unplug; 0 disables the timer (tests only)
 * @param maxReadErrors     md's max_corrected_read_errors: a member whose read errors (halved for
 *                          every hour without one) pass this is failed instead of repaired again
 * @param nanoClock         the clock the read errors decay by (System::nanoTime; tests inject one)
 * @param directIo          where members bypass the page cache (O_DIRECT): block devices by default
 */
public record ArrayOptions(int stripeCacheSize, int workerThreads, int ioThreads, long unplugDelayMicros,
                           int maxBatchStripes, MeterRegistry meterRegistry, WriteIntentLogFactory writeIntentLog,
                           int maxReadErrors, java.util.function.LongSupplier nanoClock, DirectIoMode directIo) {
    public static final int DEFAULT_STRIPE_CACHE = 256;
    /** md's MD_DEFAULT_MAX_CORRECTED_READ_ERRORS. */
    public static final int DEFAULT_MAX_READ_ERRORS = 20;

    public ArrayOptions {
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        Objects.requireNonNull(writeIntentLog, "writeIntentLog");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(directIo, "directIo");
        if (maxReadErrors < 0) {
            throw new IllegalArgumentException("the read error limit must be 0 or more, not " + maxReadErrors);
        }
        new StripeEngine.Config(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes); // validates
    }

    /** md's defaults: 256 stripe heads, one stripe thread (md's raid5d with group_thread_cnt 0), a 2 ms unplug timer. */
    public static ArrayOptions defaults() {
        int workers = 1;
        return new ArrayOptions(DEFAULT_STRIPE_CACHE, workers, 8, 2000, 256, new SimpleMeterRegistry(),
                BitmapWriteIntentLog::open, DEFAULT_MAX_READ_ERRORS, System::nanoTime, DirectIoMode.AUTO);
    }

    public ArrayOptions withStripeCacheSize(int v) {
        return new ArrayOptions(v, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withWorkerThreads(int v) {
        return new ArrayOptions(stripeCacheSize, v, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withIoThreads(int v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, v, unplugDelayMicros, maxBatchStripes, meterRegistry, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withUnplugDelayMicros(long v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, v, maxBatchStripes, meterRegistry, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withMaxBatchStripes(int v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, v, meterRegistry, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withMeterRegistry(MeterRegistry v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, v, writeIntentLog, maxReadErrors, nanoClock, directIo);
    }

    public ArrayOptions withWriteIntentLog(WriteIntentLogFactory v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry, v, maxReadErrors, nanoClock, directIo);
    }

    /** md's max_read_errors (sysfs) / max_corrected_read_errors. */
    public ArrayOptions withMaxReadErrors(int v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry,
                writeIntentLog, v, nanoClock, directIo);
    }

    public ArrayOptions withNanoClock(java.util.function.LongSupplier v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry,
                writeIntentLog, maxReadErrors, v, directIo);
    }

    /** Where members use O_DIRECT (see {@link DirectIoMode}). */
    public ArrayOptions withDirectIo(DirectIoMode v) {
        return new ArrayOptions(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes, meterRegistry,
                writeIntentLog, maxReadErrors, nanoClock, v);
    }

    StripeEngine.Config engineConfig() {
        return new StripeEngine.Config(stripeCacheSize, workerThreads, ioThreads, unplugDelayMicros, maxBatchStripes);
    }
}
