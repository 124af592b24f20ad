package io.raid5d.nbd.client;

import java.time.Duration;
import java.util.Objects;

/**
 * @param connectTimeout  the TCP connect plus the whole handshake (TLS included) must end within this
 * @param requestTimeout  a request with no complete reply this long after it was sent fails, and
 *                        with it the connection (a server that stopped answering one request
 *                        cannot be trusted with the others); zero = never
 */
public record ClientSettings(Duration connectTimeout, Duration requestTimeout) {
    public ClientSettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException("timeouts: connect " + connectTimeout + ", request " + requestTimeout);
        }
    }

    /**
     * 10 s to connect, 30 s per request: the kernel's nbd driver waits 30 s by default, and a
     * request to a healthy server on a LAN takes milliseconds even under load, so 30 s means the
     * server or the path is gone, while a busy disk behind it is still given its due.
     */
    public static ClientSettings defaults() {
        return new ClientSettings(Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public ClientSettings withConnectTimeout(Duration v) { return new ClientSettings(v, requestTimeout); }
    public ClientSettings withRequestTimeout(Duration v) { return new ClientSettings(connectTimeout, v); }
}
