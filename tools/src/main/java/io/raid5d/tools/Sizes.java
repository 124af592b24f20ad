package io.raid5d.tools;

import java.util.Locale;

/** Sizes as mdadm takes them: a plain number is KiB; K, M, G, T suffixes are powers of 1024. */
final class Sizes {
    private Sizes() {
    }

    static long parseBytes(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("B") && t.length() > 1 && Character.isLetter(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1); // "64MB" -> "64M"
        }
        long unit = 1024;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'K': unit = 1L << 10; break;
            case 'M': unit = 1L << 20; break;
            case 'G': unit = 1L << 30; break;
            case 'T': unit = 1L << 40; break;
            case 'S': unit = 512; break; // sectors, as md counts
            default: last = ' ';
        }
        String digits = last == ' ' ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(digits);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 512K, 64M, 2G; a plain number is KiB)");
        }
    }
}
