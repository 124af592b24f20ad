package io.raid5d.daemon;

import io.raid5d.core.array.ArrayStatus;
import io.raid5d.daemon.events.ResyncWatcher;
import io.raid5d.daemon.systemd.SdNotify;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Looks at every array twice a second: feeds resync progress to the event watcher and the
 * resync-rate estimators, and tells systemd the arrays' state (STATUS=) when it changes.
 *
 * <p>Thread ownership: everything here runs on the single "raid5d-status" thread, which owns
 * {@code lastStatus}, the watcher and the rate samplers.
 */
final class StatusTicker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatusTicker.class.getName());
    static final long PERIOD_MILLIS = 500;

    private final ArrayManager manager;
    private final ResyncWatcher watcher;
    private final SdNotify systemd;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raid5d-status");
        t.setDaemon(true);
        return t;
    });
    private String lastStatus = ""; // status thread only

    StatusTicker(ArrayManager manager, ResyncWatcher watcher, SdNotify systemd) {
        this.manager = manager;
        this.watcher = watcher;
        this.systemd = systemd;
    }

    void start() {
        thread.scheduleWithFixedDelay(this::tick, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            List<RunningArray> running = manager.running();
            List<ArrayView> views = new ArrayList<>();
            List<ResyncWatcher.Sighting> sightings = new ArrayList<>();
            long now = System.nanoTime();
            for (RunningArray r : running) {
                ArrayView v = r.view();
                ArrayStatus s = v.status();
                r.resyncRate().sample(s.resyncDoneSectors(), s.resyncRunning(), now);
                views.add(v);
                sightings.add(new ResyncWatcher.Sighting(s, r.resyncFromSectors()));
            }
            watcher.observe(sightings);
            String status = summaryOf(views);
            if (!status.equals(lastStatus)) {
                lastStatus = status;
                systemd.status(status);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status tick failed", e);
        }
    }

    /** As {@link #summary}, adding for a degraded array which role is out and why. */
    static String summaryOf(List<ArrayView> views) {
        if (views.isEmpty()) {
            return "no arrays running";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < views.size(); i++) {
            sb.append(i == 0 ? "" : "; ").append(one(views.get(i).status()));
            List<String> outs = ArrayReports.outLines(views.get(i));
            if (!outs.isEmpty()) {
                sb.append(" (out: ").append(String.join(", ", outs)).append(')');
            }
        }
        return sb.toString();
    }

    /** One line for systemctl status: each array's name and state, with resync progress. */
    static String summary(List<ArrayStatus> statuses) {
        if (statuses.isEmpty()) {
            return "no arrays running";
        }
        StringBuilder sb = new StringBuilder();
        for (ArrayStatus s : statuses) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(one(s));
        }
        return sb.toString();
    }

    private static String one(ArrayStatus s) {
        StringBuilder sb = new StringBuilder(s.name()).append(": ").append(s.state());
        if (s.resyncRunning()) {
            int t = s.resyncPercentTenths();
            sb.append(' ').append(t / 10).append('.').append(t % 10).append('%');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
