package io.raid5d.daemon.systemd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends WATCHDOG=1 at half of WatchdogSec, on its own thread so that a long array stop (which
 * holds the array manager) does not starve it; systemd restarts a daemon whose JVM hangs.
 */
public final class WatchdogPinger implements AutoCloseable {
    private final ScheduledExecutorService thread;

    private WatchdogPinger(ScheduledExecutorService thread) {
        this.thread = thread;
    }

    /** Starts pinging when systemd asked for it (WATCHDOG_USEC); otherwise returns an idle pinger. */
    public static WatchdogPinger start(SdNotify notify, java.util.Map<String, String> env) {
        long micros = SdNotify.watchdogPingMicros(env, ProcessHandle.current().pid());
        if (micros <= 0 || !notify.enabled()) {
            return new WatchdogPinger(null);
        }
        ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "raid5d-watchdog");
            th.setDaemon(true);
            return th;
        });
        t.scheduleAtFixedRate(notify::watchdog, 0, micros, TimeUnit.MICROSECONDS);
        return new WatchdogPinger(t);
    }

    public boolean active() {
        return thread != null;
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
