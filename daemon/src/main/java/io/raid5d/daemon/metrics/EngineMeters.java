package io.raid5d.daemon.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.core.array.RaidArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's own counters and state, registered per array (tag {@code array=NAME}).
 *
 * <p>The stripe engine and the bitmap register their own meters (stripe cache hits, zero-copy
 * reads, bitmap writes, batch sizes...) on the registry of the array's options, which the
 * daemon sets to this one ({@code ArrayManager}); they are served and removed with the
 * array's, by the tag {@code array}.
 */
public final class EngineMeters {
    private EngineMeters() {
    }

    /** The RMW/RCW counters, then {@link #bind}; the engine registered its own meters already. */
    public static void bind(ManagedArray engine, MeterRegistry registry) {
        Tags tags = Tags.of("array", engine.name());
        FunctionCounter.builder("raid5d.engine.writes", engine, ManagedArray::readModifyWrites).tags(tags)
                .tag("kind", "read-modify-write").description("row writes done as read-modify-write").register(registry);
        FunctionCounter.builder("raid5d.engine.writes", engine, ManagedArray::reconstructWrites).tags(tags)
                .tag("kind", "reconstruct-write").description("row writes done as reconstruct-write").register(registry);
        bind((RaidArray) engine, registry);
        // the engine registered its own (stripe cache, bitmap) on the registry its options named: this one
    }

    /** The meters every array has: size, members, resync progress. */
    public static void bind(RaidArray engine, MeterRegistry registry) {
        Tags tags = Tags.of("array", engine.name());
        Gauge.builder("raid5d.array.size", engine, RaidArray::sizeBytes).tags(tags).baseUnit("bytes")
                .description("array capacity").register(registry);
        Gauge.builder("raid5d.array.members", engine, a -> a.status().members().size()).tags(tags)
                .description("members in the array").register(registry);
        Gauge.builder("raid5d.array.resync.remaining", engine, EngineMeters::resyncRemainingSectors).tags(tags)
                .baseUnit("sectors").description("member sectors not yet known in sync (0 when in sync)").register(registry);
        Gauge.builder("raid5d.array.resync.running", engine, a -> a.status().resyncRunning() ? 1 : 0).tags(tags)
                .description("1 while a resync runs").register(registry);
    }

    private static double resyncRemainingSectors(RaidArray a) {
        ArrayStatus s = a.status();
        return Math.max(0, s.memberSectors() - s.resyncDoneSectors());
    }

    /** Removes every meter tagged with this array (the daemon's and the engine's). */
    public static void unbind(String arrayName, MeterRegistry registry) {
        Tag tag = Tag.of("array", arrayName);
        List<Meter> mine = new ArrayList<>();
        for (Meter m : registry.getMeters()) {
            if (m.getId().getTags().contains(tag)) {
                mine.add(m);
            }
        }
        mine.forEach(registry::remove);
    }
}
