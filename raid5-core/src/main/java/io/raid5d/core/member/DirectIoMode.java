package io.raid5d.core.member;

import java.util.Locale;

/**
 * Where members use direct I/O (O_DIRECT, see {@link DirectIo}): {@code AUTO}, the default, for
 * block devices only (md never caches member data; files stay buffered until measurements show
 * direct I/O pays for them); {@code ON} for member files too (their file system must support O_DIRECT);
 * {@code OFF} for none.
 */
public enum DirectIoMode {
    AUTO, ON, OFF;

    /** {@code auto}, {@code on} or {@code off}. */
    public static DirectIoMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("direct I/O is auto, on or off, not '" + text + "'");
        }
    }

    /** Whether a member of this kind is opened with O_DIRECT. */
    public boolean appliesTo(boolean blockDevice) {
        return this == ON || this == AUTO && blockDevice;
    }
}
