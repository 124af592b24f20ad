package io.raid5d.core.crash;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DESIGN.md's write-intent invariant, checked on crash images of md v1.2 members: every row
 * whose parity is inconsistent lies in a chunk whose bit is set in the on-disk bitmap (the copy
 * assembly would read), and an array whose superblock says clean has no inconsistent row.
 */
final class WriteIntentInvariant {
    private static final int BLOCK = 4096;
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private WriteIntentInvariant() {
    }

    /** Returns one line per violation; empty when the images are recoverable by md's rules. */
    static List<String> violations(byte[][] members) throws Exception {
        Superblock[] sbs = new Superblock[members.length];
        for (int d = 0; d < members.length; d++) {
            sbs[d] = Superblock.decode(ByteBuffer.wrap(members[d], (int) Superblock.SUPER_OFFSET_BYTES, 4096).slice());
        }
        Superblock ref = sbs[0];
        Geometry g = Geometry.of(ref.getRaidDisks(), ref.getChunkSectors(), ref.getLayout(), ref.getSize());
        byte[][] byRole = new byte[g.raidDisks()][];
        long[] dataOffset = new long[g.raidDisks()];
        for (int d = 0; d < members.length; d++) {
            int role = sbs[d].roleOf(sbs[d].getDevNumber());
            byRole[role] = members[d];
            dataOffset[role] = sbs[d].getDataOffset() * 512;
        }
        boolean clean = Arrays.stream(sbs).allMatch(Superblock::isClean);
        Bitmap bitmap = ref.hasBitmap() ? Bitmap.read(byRole, sbs, ref) : null;

        List<String> out = new ArrayList<>();
        int chunk = g.chunkBytes();
        for (long row = 0; row < g.rowCount(); row++) {
            for (int off = 0; off < chunk; off += BLOCK) {
                if (consistent(g, byRole, dataOffset, row, off)) {
                    continue;
                }
                long memberByte = row * chunk + off;
                if (clean) {
                    out.add("row " + row + " +" + off + ": parity inconsistent but the superblocks say clean");
                } else if (bitmap != null && !bitmap.isSet(memberByte)) {
                    out.add("row " + row + " +" + off + ": parity inconsistent but bitmap chunk "
                            + bitmap.chunkOf(memberByte) + " is clear on disk");
                }
            }
        }
        return out;
    }

    private static boolean consistent(Geometry g, byte[][] byRole, long[] dataOffset, long row, int off) {
        long base = row * g.chunkBytes() + off;
        for (int i = 0; i < BLOCK; i += 8) {
            long x = 0;
            for (int m = 0; m < g.raidDisks(); m++) {
                x ^= (long) LONGS.get(byRole[m], (int) (dataOffset[m] + base + i));
            }
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The bitmap copy md would load: the first member, in role order, whose copy is valid. */
    private record Bitmap(BitmapSuperblock header, ByteBuffer bits) {
        static Bitmap read(byte[][] byRole, Superblock[] sbs, Superblock ref) {
            long at = SuperblockIo.internalBitmapByteOffset(ref);
            for (byte[] member : byRole) {
                try {
                    BitmapSuperblock h = BitmapSuperblock.decode(ByteBuffer.wrap(member, (int) at, BitmapSuperblock.SIZE).slice());
                    if (!Arrays.equals(h.getUuid(), ref.getSetUuid())) {
                        continue;
                    }
                    return new Bitmap(h, ByteBuffer.wrap(member, (int) at + BitmapSuperblock.SIZE, (int) h.bitsBytes()).slice());
                } catch (Exception invalid) {
                    // try the next member's copy
                }
            }
            throw new IllegalStateException("no member holds a valid bitmap copy");
        }

        long chunkOf(long memberByte) {
            return memberByte / header.getChunkSize();
        }

        boolean isSet(long memberByte) {
            return BitmapBits.isSet(bits, chunkOf(memberByte));
        }
    }
}
