package io.raid5d.core.superblock;

import java.security.SecureRandom;
import java.util.Locale;

/** md UUIDs (set_uuid, device_uuid): 16 bytes printed as four colon-separated groups of 8 hex digits. */
public final class MdUuid {
    private static final SecureRandom RANDOM = new SecureRandom();

    private MdUuid() {
    }

    /** "3b1a0f14:1b10205c:2547d25b:0f559c02": the bytes in order, as mdadm prints them. */
    public static String format(byte[] uuid) {
        if (uuid.length != 16) {
            throw new IllegalArgumentException("a UUID has 16 bytes, got " + uuid.length);
        }
        StringBuilder s = new StringBuilder(35);
        for (int i = 0; i < 16; i++) {
            if (i > 0 && i % 4 == 0) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", uuid[i] & 0xff));
        }
        return s.toString();
    }

    /** Parses 32 hex digits, ignoring ':', '-', '.' and spaces between them (mdadm's and RFC forms). */
    public static byte[] parse(String text) {
        String hex = text.replaceAll("[:\\-. ]", "");
        if (hex.length() != 32 || !hex.matches("[0-9a-fA-F]+")) {
            throw new IllegalArgumentException("'" + text + "' is not a UUID (32 hex digits, e.g. "
                    + "3b1a0f14:1b10205c:2547d25b:0f559c02)");
        }
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** 16 random bytes (mdadm 4.2 uses plain random bytes too, no RFC 4122 version bits). */
    public static byte[] random() {
        byte[] u = new byte[16];
        RANDOM.nextBytes(u);
        return u;
    }
}
