package io.raid5d.daemon.events;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Delivers array events to whoever listens (monitor connections, the log). Publishing never
 * blocks: each subscription has a bounded queue, and a subscriber that falls that far behind is
 * cut off (it sees the end of its stream) rather than slowing the arrays down.
 *
 * <p>Thread-safe: any thread publishes; each subscription is drained by one thread.
 */
public final class EventBus implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventBus.class.getName());
    static final int QUEUE_CAPACITY = 1024;

    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public void publish(ArrayEvent event) {
        LOG.info(() -> "event " + String.join(" ", event.words()));
        for (Subscription s : subscriptions) {
            if (!s.queue.offer(event)) {
                LOG.warning("a monitor fell " + QUEUE_CAPACITY + " events behind; disconnecting it");
                s.close();
            }
        }
    }

    public Subscription subscribe() {
        Subscription s = new Subscription();
        subscriptions.add(s);
        if (closed) {
            s.close();
        }
        return s;
    }

    /** Ends every subscription (daemon stopping). */
    @Override
    public void close() {
        closed = true;
        subscriptions.forEach(Subscription::close);
    }

    /** One listener's queue. {@link #next} returns null once the subscription is closed and drained. */
    public final class Subscription implements AutoCloseable {
        private static final ArrayEvent END = ArrayEvent.of(EventType.STOPPED, "\0end");
        private final BlockingQueue<ArrayEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY + 1);
        private volatile boolean done;

        /** Blocks until the next event, or returns null when the subscription has ended. */
        public ArrayEvent next() throws InterruptedException {
            if (done && queue.isEmpty()) {
                return null;
            }
            ArrayEvent e = queue.take();
            return e == END ? null : e;
        }

        /** Like {@link #next} but waits at most {@code millis}; null also on timeout (check {@link #ended}). */
        public ArrayEvent next(long millis) throws InterruptedException {
            ArrayEvent e = queue.poll(millis, TimeUnit.MILLISECONDS);
            return e == END ? null : e;
        }

        public boolean ended() {
            return done && queue.isEmpty();
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                subscriptions.remove(this);
                queue.clear(); // room for END even when full
                queue.offer(END);
            }
        }
    }
}
