package io.raid5d.remote;

import io.raid5d.nbd.client.ClientSettings;
import java.util.Objects;

/**
 * The NBD client settings every remote member is opened with, and how many connections a member
 * may use when its server offers multi-conn: set once by the daemon from its options before any
 * array is assembled, read by each open. Defaults: {@link ClientSettings#defaults()}, 1 connection.
 */
public final class RemoteMemberSettings {
    private static volatile ClientSettings current = ClientSettings.defaults();
    private static volatile int connections = 1;

    /** Connections per remote member whose server says it can serve several consistently (NBD_FLAG_CAN_MULTI_CONN). */
    public static int connections() {
        return connections;
    }

    public static void setConnections(int n) {
        if (n < 1 || n > 16) {
            throw new IllegalArgumentException("connections per remote member: 1 to 16, not " + n);
        }
        connections = n;
    }

    private RemoteMemberSettings() {
    }

    public static ClientSettings current() {
        return current;
    }

    public static void set(ClientSettings settings) {
        current = Objects.requireNonNull(settings, "settings");
    }
}
