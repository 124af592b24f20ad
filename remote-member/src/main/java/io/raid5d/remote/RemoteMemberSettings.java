package io.raid5d.remote;

import io.raid5d.nbd.client.ClientSettings;
import java.util.Objects;

/**
 * The NBD client settings every remote member is opened with: set once by the daemon from its
 * options before any array is assembled, read by each open. The default is
 * {@link ClientSettings#defaults()}.
 */
public final class RemoteMemberSettings {
    private static volatile ClientSettings current = ClientSettings.defaults();

    private RemoteMemberSettings() {
    }

    public static ClientSettings current() {
        return current;
    }

    public static void set(ClientSettings settings) {
        current = Objects.requireNonNull(settings, "settings");
    }
}
