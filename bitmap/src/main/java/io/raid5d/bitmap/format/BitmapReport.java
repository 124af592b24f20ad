package io.raid5d.bitmap.format;

import java.nio.ByteBuffer;
import java.util.Locale;

/** Formats a bitmap the way {@code mdadm -X} (examine-bitmap) prints it, field for field. */
public final class BitmapReport {
    private static final String[] CHUNK_UNITS = {"B", "KB", "MB", "GB", "TB"};

    private BitmapReport() {
    }

    /**
     * The report for a bitmap whose bits are at {@code bits}' position. When the buffer holds
     * fewer bits than the header promises (a truncated file), only the bits present are counted,
     * as mdadm does.
     */
    public static String format(String filename, BitmapSuperblock sb, ByteBuffer bits) {
        long total = sb.getSyncSize() == 0 || sb.getChunkSize() == 0 ? 0 : sb.bitCount();
        long available = (long) bits.remaining() * 8;
        if (available < total) {
            total = available;
        }
        return format(filename, sb, total, BitmapBits.countDirty(bits, total));
    }

    /** The report given the bit counts. */
    public static String format(String filename, BitmapSuperblock sb, long totalBits, long dirtyBits) {
        StringBuilder out = new StringBuilder(640);
        line(out, "Filename", filename);
        line(out, "Magic", String.format(Locale.ROOT, "%08x", sb.getMagic()));
        line(out, "Version", Integer.toString(sb.getVersion()));
        line(out, "UUID", uuid(sb.getUuid()));
        line(out, "Events", Long.toUnsignedString(sb.getEvents()));
        line(out, "Events Cleared", Long.toUnsignedString(sb.getEventsCleared()));
        line(out, "State", state(sb.getState()));
        line(out, "Chunksize", chunkSize(Integer.toUnsignedLong(sb.getChunkSize())));
        line(out, "Daemon", sb.getDaemonSleep() + "s flush period");
        line(out, "Write Mode", sb.getWriteBehind() != 0
                ? "Allow write behind, max " + sb.getWriteBehind() : "Normal");
        line(out, "Sync Size", Long.toUnsignedString(sb.getSyncSize() / 2) + MdHumanSize.suffix(sb.getSyncSize() * 512));
        double percent = 100.0 * dirtyBits / (totalBits == 0 ? 1 : totalBits);
        // printf in C rounds the exact binary value, ties to even (4 of 64 is 6.2%); Java's %f
        // rounds half up, so round here as glibc does.
        String shown = new java.math.BigDecimal(percent).setScale(1, java.math.RoundingMode.HALF_EVEN).toPlainString();
        line(out, "Bitmap", String.format(Locale.ROOT, "%d bits (chunks), %d dirty (%2s%%)",
                totalBits, dirtyBits, shown));
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        for (int i = label.length(); i < 16; i++) {
            out.append(' ');
        }
        out.append(label).append(" : ").append(value).append('\n');
    }

    /** mdadm's names for the two states it knows; anything else is "Unknown". */
    private static String state(int state) {
        switch (state) {
            case 0: return "OK";
            case BitmapSuperblock.STATE_STALE: return "Out of date";
            default: return "Unknown";
        }
    }

    /** "1 MB", "64 MB", "4 KB": whole binary units, as mdadm prints them. */
    static String chunkSize(long bytes) {
        int unit = 0;
        while ((bytes >> 10) != 0 && unit < CHUNK_UNITS.length - 1) {
            bytes >>= 10;
            unit++;
        }
        return bytes + " " + CHUNK_UNITS[unit];
    }

    private static String uuid(byte[] u) {
        StringBuilder s = new StringBuilder(35);
        for (int i = 0; i < 16; i++) {
            if (i > 0 && i % 4 == 0) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", u[i] & 0xff));
        }
        return s.toString();
    }
}
