package io.raid5d.daemon.systemd;

import java.io.IOException;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sd_notify protocol: datagrams of {@code KEY=VALUE} lines to the socket named by
 * {@code NOTIFY_SOCKET}. Without that variable (not started by systemd with Type=notify)
 * every call does nothing. A failed send is logged, never fatal: serving matters more.
 *
 * <p>Thread-safe: each message is one sendto() on a socket that is never rebound.
 */
public final class SdNotify implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SdNotify.class.getName());

    private final String address; // null: notifications off
    private final UnixDatagram socket;

    private SdNotify(String address, UnixDatagram socket) {
        this.address = address;
        this.socket = socket;
    }

    public static SdNotify fromEnvironment() {
        return forAddress(System.getenv("NOTIFY_SOCKET"));
    }

    /** Notifications to {@code address}, or a silent notifier when it is null or empty. */
    public static SdNotify forAddress(String address) {
        if (address == null || address.isEmpty()) {
            return new SdNotify(null, null);
        }
        try {
            return new SdNotify(address, UnixDatagram.open());
        } catch (IOException | LinkageError e) {
            LOG.log(Level.WARNING, "NOTIFY_SOCKET is set but no datagram socket could be opened; systemd will not hear from us", e);
            return new SdNotify(null, null);
        }
    }

    public boolean enabled() {
        return address != null;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    public void status(String status) {
        send("STATUS=" + oneLine(status));
    }

    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    public void watchdog() {
        send("WATCHDOG=1");
    }

    /**
     * The keep-alive interval systemd asked for (half of WATCHDOG_USEC, as sd_watchdog_enabled
     * advises), in microseconds; 0 when the watchdog is off or meant for another process.
     */
    public static long watchdogPingMicros(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null) {
            return 0;
        }
        String forPid = env.get("WATCHDOG_PID");
        if (forPid != null && !forPid.equals(Long.toString(pid))) {
            return 0;
        }
        try {
            long v = Long.parseLong(usec.strip());
            return v > 0 ? Math.max(1, v / 2) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void send(String message) {
        if (address == null) {
            return;
        }
        try {
            socket.send(address, message);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "sd_notify to " + address + " failed: " + e.getMessage());
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
