package io.raid5d.daemon.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raid5d.core.array.ArrayStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResyncWatcherTest {
    private static final long SECTORS = 1000;

    private static ResyncWatcher.Sighting at(String name, long done, boolean running, long from) {
        ArrayStatus s = new ArrayStatus(name, "u", "active", 3, 65536, "left-symmetric", 1 << 20, SECTORS, 1,
                List.of("a", "b", "c"), running, done);
        return new ResyncWatcher.Sighting(s, from);
    }

    private static List<String> drain(EventBus.Subscription sub) throws InterruptedException {
        List<String> out = new ArrayList<>();
        ArrayEvent e;
        while ((e = sub.next(0)) != null) {
            out.add(String.join(" ", e.words()));
        }
        return out;
    }

    @Test
    void reportsEachMarkOnceInOrderEvenWhenObservedLate() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription sub = bus.subscribe();
        ResyncWatcher w = new ResyncWatcher(bus);
        w.observe(List.of(at("a", 10, true, 0), at("clean", SECTORS, false, SECTORS)));
        assertEquals(List.of("ResyncStarted a"), drain(sub));
        w.observe(List.of(at("a", 450, true, 0), at("clean", SECTORS, false, SECTORS)));
        assertEquals(List.of("Resync20 a", "Resync40 a"), drain(sub));
        w.observe(List.of(at("a", 470, true, 0)));
        assertEquals(List.of(), drain(sub));
        w.observe(List.of(at("a", SECTORS, false, 0)));
        assertEquals(List.of("Resync60 a", "Resync80 a", "ResyncFinished a"), drain(sub));
        w.observe(List.of(at("a", SECTORS, false, 0)));
        assertEquals(List.of(), drain(sub));
    }

    @Test
    void aResyncDoneBeforeTheFirstLookStillReportsStartAndFinish() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription sub = bus.subscribe();
        new ResyncWatcher(bus).observe(List.of(at("a", SECTORS, false, 0)));
        assertEquals(List.of("ResyncStarted a", "Resync20 a", "Resync40 a", "Resync60 a", "Resync80 a",
                "ResyncFinished a"), drain(sub));
    }

    @Test
    void aResumedResyncCountsFromItsCheckpoint() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription sub = bus.subscribe();
        ResyncWatcher w = new ResyncWatcher(bus);
        w.observe(List.of(at("a", 450, true, 450)));
        w.observe(List.of(at("a", SECTORS, false, 450)));
        assertEquals(List.of("ResyncStarted a", "Resync60 a", "Resync80 a", "ResyncFinished a"), drain(sub));
    }
}
