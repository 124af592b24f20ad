package io.raid5d.nbd.transport;

import java.util.Locale;

/**
 * The socket transport the NBD server runs on. {@link #AUTO} takes the best one this kernel and
 * platform allow; naming one that is not available fails the start with its reason, so an admin
 * who asked for io_uring never silently gets something else.
 */
public enum Transport {
    /** epoll where Netty's native library loads (x86_64 Linux), else NIO. */
    AUTO("auto"),
    /** Linux epoll through Netty's JNI library: edge-triggered, sendfile for file regions. */
    EPOLL("epoll"),
    /** Linux io_uring through Netty's JNI library (kernel 5.14 or later, not disabled by sysctl or seccomp). */
    IO_URING("io_uring"),
    /** Java's NIO selector: everywhere Java runs. */
    NIO("nio");

    /** JVM property that sets the transport {@code auto} resolves to when nothing else chose one (the tests run each). */
    public static final String PROPERTY = "raid5d.nbd.transport";

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    /** The name users write and logs show: auto, epoll, io_uring, nio. */
    public String label() {
        return label;
    }

    /** Parses a user's choice; "io-uring" and "iouring" are accepted for io_uring. */
    public static Transport parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if (t.equals("iouring")) {
            t = "io_uring";
        }
        for (Transport v : values()) {
            if (v.label.equals(t)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + text + "' (auto, epoll, io_uring or nio)");
    }

    /** {@link #AUTO} unless the JVM property {@value #PROPERTY} names another. */
    public static Transport fromSystemProperty() {
        String v = System.getProperty(PROPERTY);
        return v == null || v.isBlank() ? AUTO : parse(v);
    }

    @Override
    public String toString() {
        return label;
    }
}
