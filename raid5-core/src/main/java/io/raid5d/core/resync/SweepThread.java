package io.raid5d.core.resync;

/**
 * The background thread of a sweep over the array (resync, rebuild, scrub) and the request to
 * stop it. The thread owns the sweep's progress; others read it and may only ask it to stop.
 */
public final class SweepThread {
    private volatile Thread worker; // non-null while the sweep runs
    private volatile boolean stopRequested;

    /** Runs {@code body} on a new daemon thread named {@code name}; {@link #running()} until it returns. */
    public void start(String name, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } finally {
                worker = null;
            }
        }, name);
        t.setDaemon(true);
        worker = t;
        t.start();
    }

    public boolean running() {
        return worker != null;
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    /** Asks the sweep to stop after its current window (the sweep polls {@link #stopRequested()}). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Waits for the sweep to end. */
    public void await() throws InterruptedException {
        Thread t = worker;
        if (t != null) {
            t.join();
        }
    }

    /** Asks the sweep to stop and waits for it, keeping an interrupt for the caller. */
    public void stopAndWait() {
        requestStop();
        Thread t = worker;
        boolean interrupted = false;
        while (t != null && t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
