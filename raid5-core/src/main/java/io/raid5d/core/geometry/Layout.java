package io.raid5d.core.geometry;

import java.util.Locale;

/** The RAID-5 parity layouts, numbered as Linux md numbers them in the superblock's layout field. */
public enum Layout {
    LEFT_ASYMMETRIC(0, "left-asymmetric"),
    RIGHT_ASYMMETRIC(1, "right-asymmetric"),
    LEFT_SYMMETRIC(2, "left-symmetric"),
    RIGHT_SYMMETRIC(3, "right-symmetric"),
    PARITY_FIRST(4, "parity-first"),
    PARITY_LAST(5, "parity-last");

    private final int mdCode;
    private final String mdName;

    Layout(int mdCode, String mdName) {
        this.mdCode = mdCode;
        this.mdName = mdName;
    }

    /** The value stored in the md superblock's layout field. */
    public int mdCode() {
        return mdCode;
    }

    /** The name mdadm prints and accepts (e.g. "left-symmetric"). */
    public String mdName() {
        return mdName;
    }

    public static Layout fromMdCode(int code) {
        for (Layout l : values()) {
            if (l.mdCode == code) {
                return l;
            }
        }
        throw new IllegalArgumentException("unsupported RAID-5 layout code " + code);
    }

    /** Accepts mdadm's names and short forms (ls, la, rs, ra). */
    public static Layout fromName(String name) {
        String n = name.toLowerCase(Locale.ROOT).trim();
        switch (n) {
            case "ls": return LEFT_SYMMETRIC;
            case "la": return LEFT_ASYMMETRIC;
            case "rs": return RIGHT_SYMMETRIC;
            case "ra": return RIGHT_ASYMMETRIC;
            default:
                for (Layout l : values()) {
                    if (l.mdName.equals(n)) {
                        return l;
                    }
                }
                throw new IllegalArgumentException("unknown layout '" + name
                        + "' (left-symmetric, left-asymmetric, right-symmetric, right-asymmetric, parity-first, parity-last)");
        }
    }
}
