package io.raid5d.bitmap.format;

import java.nio.charset.StandardCharsets;

/** md's fixed-width on-disk fields, shared by the md superblock and the bitmap superblock. */
public final class MdFields {
    public static final int UUID_BYTES = 16;

    private MdFields() {
    }

    /** A NUL-padded (or NUL-terminated) UTF-8 field as a string. */
    public static String cString(byte[] raw) {
        int n = 0;
        while (n < raw.length && raw[n] != 0) {
            n++;
        }
        return new String(raw, 0, n, StandardCharsets.UTF_8);
    }

    /** A copy of a 16-byte UUID; anything else is refused. */
    public static byte[] uuid16(byte[] uuid) {
        if (uuid.length != UUID_BYTES) {
            throw new IllegalArgumentException("uuid must be 16 bytes, got " + uuid.length);
        }
        return uuid.clone();
    }
}
