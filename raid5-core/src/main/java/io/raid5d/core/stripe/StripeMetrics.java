package io.raid5d.core.stripe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The engine's meters, all tagged {@code array=NAME}. Counters and summaries are thread-safe;
 * gauges read volatile snapshots the stripe cache keeps under its lock.
 *
 * <pre>
 * raid5.stripe.cache.size         gauge    configured stripe heads
 * raid5.stripe.active             gauge    heads in use (not on the inactive list)
 * raid5.stripe.inactive           gauge    free heads (LRU, may still hold cached pages)
 * raid5.stripe.list{list=handle|delayed|bitmap}  gauge  list lengths
 * raid5.stripe.waiting            gauge    requests waiting for a free head
 * raid5.stripe.waits              counter  requests that had to wait for a free head
 * raid5.stripe.writes{method=rmw|rcw}  counter  write passes by method, per stripe head
 * raid5.stripe.prereads           counter  member pages read before a write
 * raid5.stripe.batch.stripes      summary  stripe heads per full-stripe batch
 * raid5.member.write.bytes        summary  bytes per member write request (merged run)
 * raid5.member.read.bytes         summary  bytes per member read request of a stripe pass (merged run)
 * raid5.stripe.cache.hits/misses  counter  read pages served from the cache / from members
 * raid5.read.zero.copy.bytes      counter  array bytes read as member file ranges a server sends as they are
 * raid5.read.now.bytes            counter  array bytes read on the caller's thread from the page cache
 * </pre>
 */
public final class StripeMetrics {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final Counter rmw;
    final Counter rcw;
    final Counter prereads;
    final Counter waits;
    final Counter hits;
    final Counter misses;
    final Counter zeroCopyBytes;
    final Counter readNowBytes;
    final DistributionSummary batchStripes;
    final DistributionSummary memberWriteBytes;
    final DistributionSummary memberReadBytes;

    StripeMetrics(MeterRegistry registry, String array, StripeCache cache) {
        this.registry = registry;
        Tags tags = Tags.of("array", array);
        rmw = add(Counter.builder("raid5.stripe.writes").tags(tags).tag("method", "rmw")
                .description("read-modify-write passes").register(registry));
        rcw = add(Counter.builder("raid5.stripe.writes").tags(tags).tag("method", "rcw")
                .description("reconstruct-write passes").register(registry));
        prereads = add(Counter.builder("raid5.stripe.prereads").tags(tags)
                .description("member pages read before a write").register(registry));
        waits = add(Counter.builder("raid5.stripe.waits").tags(tags)
                .description("requests that waited for a free stripe head").register(registry));
        hits = add(Counter.builder("raid5.stripe.cache.hits").tags(tags).register(registry));
        misses = add(Counter.builder("raid5.stripe.cache.misses").tags(tags).register(registry));
        zeroCopyBytes = add(Counter.builder("raid5.read.zero.copy.bytes").tags(tags).baseUnit("bytes")
                .description("array bytes read as member file ranges, sent without a copy").register(registry));
        readNowBytes = add(Counter.builder("raid5.read.now.bytes").tags(tags).baseUnit("bytes")
                .description("array bytes read on the caller's thread from the page cache, no hand-off").register(registry));
        batchStripes = add(DistributionSummary.builder("raid5.stripe.batch.stripes").tags(tags)
                .description("stripe heads per full-stripe write batch").register(registry));
        memberWriteBytes = add(DistributionSummary.builder("raid5.member.write.bytes").tags(tags).baseUnit("bytes")
                .description("bytes per member write request").register(registry));
        memberReadBytes = add(DistributionSummary.builder("raid5.member.read.bytes").tags(tags).baseUnit("bytes")
                .description("bytes per member read request of a stripe pass (merged run)").register(registry));
        gauge("raid5.stripe.cache.size", tags, cache, c -> c.cacheSize);
        gauge("raid5.stripe.active", tags, cache, c -> c.activeCount);
        gauge("raid5.stripe.inactive", tags, cache, c -> c.inactiveCount);
        gauge("raid5.stripe.list", tags.and("list", "handle"), cache, c -> c.handleCount);
        gauge("raid5.stripe.list", tags.and("list", "delayed"), cache, c -> c.delayedCount);
        gauge("raid5.stripe.list", tags.and("list", "bitmap"), cache, c -> c.bitmapCount);
        gauge("raid5.stripe.waiting", tags, cache, c -> c.waitingCount);
    }

    private <M extends Meter> M add(M m) {
        meters.add(m);
        return m;
    }

    private void gauge(String name, Tags tags, StripeCache cache, ToDoubleFunction<StripeCache> f) {
        meters.add(Gauge.builder(name, cache, f).tags(tags).register(registry));
    }

    /** Removes this array's meters (so the same name can be assembled again). */
    void close() {
        meters.forEach(registry::remove);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public long readModifyWrites() {
        return (long) rmw.count();
    }

    public long reconstructWrites() {
        return (long) rcw.count();
    }

    public long prereadPages() {
        return (long) prereads.count();
    }

    public long waitsForFreeStripe() {
        return (long) waits.count();
    }

    public long cacheHits() {
        return (long) hits.count();
    }

    public long cacheMisses() {
        return (long) misses.count();
    }

    public long zeroCopyBytes() {
        return (long) zeroCopyBytes.count();
    }

    public long readNowBytes() {
        return (long) readNowBytes.count();
    }

    public DistributionSummary batchStripes() {
        return batchStripes;
    }

    public DistributionSummary memberWriteBytes() {
        return memberWriteBytes;
    }

    public DistributionSummary memberReadBytes() {
        return memberReadBytes;
    }
}
