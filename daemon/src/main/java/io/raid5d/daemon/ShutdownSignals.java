package io.raid5d.daemon;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop on the main thread. Handling the signals
 * ourselves (instead of JVM shutdown hooks) lets the daemon drain, mark members clean and
 * then exit with status 0, as systemd expects of a clean stop.
 */
final class ShutdownSignals {
    private final CountDownLatch requested = new CountDownLatch(1);
    private volatile String signalName;

    void install() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), s -> {
                signalName = "SIG" + s.getName();
                requested.countDown();
            });
        }
    }

    /** Blocks until a stop signal arrives (or {@link #request} is called); returns its name. */
    String await() throws InterruptedException {
        requested.await();
        return signalName;
    }

    /** Waits at most {@code millis} for a stop request; true if one came. */
    boolean awaitFor(long millis) throws InterruptedException {
        return requested.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    void request(String why) {
        signalName = why;
        requested.countDown();
    }
}
