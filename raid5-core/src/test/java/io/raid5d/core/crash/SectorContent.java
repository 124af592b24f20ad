package io.raid5d.core.crash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Recognisable sector content for crash tests: every 512-byte sector a request writes carries
 * the request's id and the sector's array number in its first 16 bytes and a fill derived from
 * both after them, so a sector read back from a crash image names the request that wrote it and
 * shows whether it is whole. Ids start at 1; an all-zero sector is the array's initial content.
 */
final class SectorContent {
    static final int SECTOR = 512;
    /** {@link #identify} of a sector that is neither whole nor initial zeros. */
    static final long TORN = -1;

    private SectorContent() {
    }

    /** Fills {@code length} bytes (whole sectors) for request {@code id} written at array byte {@code offset}. */
    static byte[] of(long id, long offset, int length) {
        byte[] b = new byte[length];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < length; s += SECTOR) {
            long sector = (offset + s) / SECTOR;
            bb.putLong(s, id);
            bb.putLong(s + 8, sector);
            for (int i = 16; i < SECTOR; i++) {
                b[s + i] = fill(id, sector, i);
            }
        }
        return b;
    }

    private static byte fill(long id, long sector, int i) {
        return (byte) (id * 131 + sector * 31 + i * 7 + (i >>> 5));
    }

    /** The id of the request whose sector this is (0: never written), or {@link #TORN}. */
    static long identify(byte[] image, int at, long sector) {
        ByteBuffer bb = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long id = bb.getLong(at);
        if (id == 0) {
            for (int i = 0; i < SECTOR; i++) {
                if (image[at + i] != 0) {
                    return TORN;
                }
            }
            return 0;
        }
        if (id < 0 || bb.getLong(at + 8) != sector) {
            return TORN;
        }
        for (int i = 16; i < SECTOR; i++) {
            if (image[at + i] != fill(id, sector, i)) {
                return TORN;
            }
        }
        return id;
    }
}
