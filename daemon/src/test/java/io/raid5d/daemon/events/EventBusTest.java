package io.raid5d.daemon.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventBusTest {

    @Test
    void everySubscriberGetsEveryEventInOrder() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription a = bus.subscribe();
        EventBus.Subscription b = bus.subscribe();
        bus.publish(ArrayEvent.of(EventType.ASSEMBLED, "x"));
        bus.publish(new ArrayEvent(EventType.FAIL, 0, "x", "/dev/sdb"));
        bus.publish(ArrayEvent.progress(EventType.REBUILD_PROGRESS, 40, "x"));
        for (EventBus.Subscription s : List.of(a, b)) {
            assertEquals(List.of("Assembled", "x"), s.next().words());
            assertEquals(List.of("Fail", "x", "/dev/sdb"), s.next().words());
            assertEquals("Rebuild40", s.next().name());
        }
        bus.close();
        assertNull(a.next(), "closed: the stream ends");
        assertTrue(a.ended());
    }

    @Test
    void aSubscriberThatFallsTooFarBehindIsCutOffWithoutBlockingThePublisher() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription slow = bus.subscribe();
        for (int i = 0; i <= EventBus.QUEUE_CAPACITY + 10; i++) {
            bus.publish(ArrayEvent.of(EventType.ASSEMBLED, "a" + i));
        }
        assertNull(slow.next(), "cut off");
        EventBus.Subscription fresh = bus.subscribe();
        bus.publish(ArrayEvent.of(EventType.STOPPED, "z"));
        assertEquals("z", fresh.next().array());
    }
}
