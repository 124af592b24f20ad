package io.raid5d.bitmap.format;

import java.util.Locale;

/**
 * The human-readable size suffix mdadm appends to byte counts, e.g. {@code " (15.00 MiB 15.73 MB)"}.
 *
 * <p>Same rounding as mdadm: centi-units rounded half up, MiB below 2 GiB, GiB below 2 TiB,
 * TiB above; nothing at all below 5000 KiB.
 */
public final class MdHumanSize {
    private static final long KIB = 1024L;
    private static final long MIB = KIB * KIB;
    private static final long GIB = MIB * KIB;
    private static final long TIB = GIB * KIB;

    private MdHumanSize() {
    }

    /** The suffix for {@code bytes}, starting with a space, or "" for small sizes. */
    public static String suffix(long bytes) {
        if (bytes < 5000 * KIB) {
            return "";
        }
        if (bytes < 2 * GIB) {
            return pair(centi(bytes, MIB), centiDecimal(bytes, 1_000_000L), "MiB", "MB");
        }
        if (bytes < 2 * TIB) {
            return pair(centi(bytes, GIB), centiDecimal(bytes, 1_000_000_000L), "GiB", "GB");
        }
        return pair(centi(bytes, TIB), centiDecimal(bytes, 1_000_000_000_000L), "TiB", "TB");
    }

    // mdadm computes bytes*200/unit in 64 bits; sizes here stay far below the overflow point.
    private static long centi(long bytes, long unit) {
        return (bytes * 200 / unit + 1) / 2;
    }

    private static long centiDecimal(long bytes, long unit) {
        return (bytes / (unit / 200) + 1) / 2;
    }

    private static String pair(long binary, long decimal, String binaryUnit, String decimalUnit) {
        return String.format(Locale.ROOT, " (%d.%02d %s %d.%02d %s)",
                binary / 100, binary % 100, binaryUnit, decimal / 100, decimal % 100, decimalUnit);
    }
}
