package io.raid5d.core.superblock;

import static io.raid5d.core.superblock.Superblock.FEATURE_ALL;
import static io.raid5d.core.superblock.Superblock.FEATURE_JOURNAL;
import static io.raid5d.core.superblock.Superblock.FEATURE_MULTIPLE_PPLS;
import static io.raid5d.core.superblock.Superblock.FEATURE_NEW_OFFSET;
import static io.raid5d.core.superblock.Superblock.FEATURE_PPL;
import static io.raid5d.core.superblock.Superblock.FEATURE_RESHAPE_ACTIVE;
import static io.raid5d.core.superblock.Superblock.FEATURE_RESHAPE_BACKWARDS;
import static io.raid5d.core.superblock.Superblock.FEATURE_UNSUPPORTED;
import static io.raid5d.core.superblock.Superblock.FIXED_SIZE;
import static io.raid5d.core.superblock.Superblock.MAGIC;
import static io.raid5d.core.superblock.Superblock.MAJOR_VERSION;
import static io.raid5d.core.superblock.Superblock.MAX_DEVS;
import static io.raid5d.core.superblock.Superblock.NAME_BYTES;
import static io.raid5d.core.superblock.Superblock.V12_SUPER_OFFSET;

import io.raid5d.bitmap.format.MdFields;
import io.raid5d.core.geometry.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The md v1.2 superblock's byte layout: decoding (with the checks that tell a damaged or
 * unsupported superblock from a good one) and encoding with the checksum. {@link Superblock}
 * is the value; this is how it sits on disk.
 */
final class SuperblockCodec {
    private SuperblockCodec() {
    }


    /**
     * @param verifyChecksum a wrong checksum is an error (else the report shows it)
     * @param display        decoding to show or protect a member, not to run it: an unfinished
     *                       reshape is accepted, since examine must show it and create must not
     *                       overwrite such a member as if it were blank
     */
    static Superblock decode(ByteBuffer src, boolean verifyChecksum, boolean display) throws SuperblockException {
        if (src.remaining() < FIXED_SIZE) {
            throw new SuperblockException("superblock buffer too short: " + src.remaining() + " bytes, need "
                    + FIXED_SIZE);
        }
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new SuperblockException(String.format(
                    "no md superblock: magic is 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int major = b.getInt(4);
        if (major != MAJOR_VERSION) {
            throw new SuperblockException("unsupported md superblock major version " + Integer.toUnsignedString(major)
                    + " (only version 1 is supported)");
        }
        int maxDev = b.getInt(220);
        if (maxDev < 0 || maxDev > MAX_DEVS) {
            throw new SuperblockException("impossible max_dev " + Integer.toUnsignedString(maxDev)
                    + " (at most " + MAX_DEVS + ")");
        }
        if (b.remaining() < FIXED_SIZE + 2 * maxDev) {
            throw new SuperblockException("superblock buffer too short for max_dev " + maxDev + ": "
                    + b.remaining() + " bytes, need " + (FIXED_SIZE + 2 * maxDev));
        }
        Superblock sb = new Superblock();
        sb.expectedChecksum = SuperblockChecksum.compute(b, maxDev); // before relative reads move b
        sb.featureMap = b.getInt(8);
        b.position(16);
        b.get(sb.setUuid);
        byte[] name = new byte[NAME_BYTES];
        b.get(name);
        sb.setName = MdFields.cString(name);
        sb.ctime = b.getLong(64);
        sb.level = b.getInt(72);
        int layoutCode = b.getInt(76);
        sb.size = b.getLong(80);
        sb.chunkSectors = b.getInt(88);
        sb.raidDisks = b.getInt(92);
        sb.bitmapOffset = b.getInt(96);
        sb.newLevel = b.getInt(100);
        sb.reshapePosition = b.getLong(104);
        sb.deltaDisks = b.getInt(112);
        sb.newLayoutCode = b.getInt(116);
        sb.newChunkSectors = b.getInt(120);
        sb.newOffset = b.getInt(124);
        sb.dataOffset = b.getLong(128);
        sb.dataSize = b.getLong(136);
        sb.superOffset = b.getLong(144);
        sb.recoveryOffset = b.getLong(152);
        sb.devNumber = b.getInt(160);
        sb.cntCorrectedRead = b.getInt(164);
        b.position(168);
        b.get(sb.deviceUuid);
        sb.devFlags = b.get(184) & 0xff;
        sb.bblogShift = b.get(185) & 0xff;
        sb.bblogSize = b.getShort(186) & 0xffff;
        sb.bblogOffset = b.getInt(188);
        sb.utime = b.getLong(192);
        sb.events = b.getLong(200);
        sb.resyncOffset = b.getLong(208);
        sb.checksum = b.getInt(SuperblockChecksum.CSUM_OFFSET);
        sb.devRoles = new int[maxDev];
        for (int i = 0; i < maxDev; i++) {
            sb.devRoles[i] = b.getShort(FIXED_SIZE + 2 * i) & 0xffff;
        }
        // A damaged superblock is reported as such, not as whatever impossible value the damage made.
        if (verifyChecksum && sb.checksum != sb.expectedChecksum) {
            throw new SuperblockException(String.format(
                    "bad superblock checksum: expected %08x found %08x", sb.expectedChecksum, sb.checksum));
        }
        validate(sb, layoutCode, display);
        return sb;
    }

    private static void validate(Superblock sb, int layoutCode, boolean display) throws SuperblockException {
        int unknown = sb.featureMap & ~FEATURE_ALL;
        if (unknown != 0) {
            throw new SuperblockException(String.format("unknown feature bits 0x%x in feature_map 0x%x",
                    unknown, sb.featureMap));
        }
        int reshapeBits = FEATURE_RESHAPE_ACTIVE | FEATURE_RESHAPE_BACKWARDS | FEATURE_NEW_OFFSET;
        int unsupported = sb.featureMap & FEATURE_UNSUPPORTED & (display ? ~reshapeBits : ~0);
        if (unsupported != 0 && !display && (unsupported & reshapeBits) != 0 && sb.reshapeActive()) {
            throw new SuperblockException(String.format("the array is in the middle of a reshape (%d->%d members, at array"
                    + " sector %d): raid5d cannot run it until the reshape is finished; let the kernel's md finish it"
                    + " (mdadm --assemble)", sb.raidDisks - sb.deltaDisks, sb.raidDisks, sb.reshapePosition));
        }
        if (unsupported != 0) {
            throw new SuperblockException(String.format(
                    "feature_map 0x%x uses %s, which raid5d does not support", sb.featureMap,
                    unsupportedFeatureNames(sb.featureMap & FEATURE_UNSUPPORTED)));
        }
        if (sb.level != 5) {
            throw new SuperblockException("unsupported RAID level " + sb.level + " (raid5d runs raid5 only)");
        }
        try {
            sb.layout = Layout.fromMdCode(layoutCode);
        } catch (IllegalArgumentException e) {
            throw new SuperblockException("unsupported RAID-5 layout " + Integer.toUnsignedString(layoutCode), e);
        }
        if (sb.superOffset != V12_SUPER_OFFSET) {
            throw new SuperblockException("super_offset is " + Long.toUnsignedString(sb.superOffset)
                    + " sectors, but a v1.2 superblock lives at sector " + V12_SUPER_OFFSET);
        }
        if (sb.chunkSectors < 8 || Integer.bitCount(sb.chunkSectors) != 1) {
            throw new SuperblockException("impossible chunk size " + Integer.toUnsignedString(sb.chunkSectors)
                    + " sectors (must be a power of two, at least 4 KiB)");
        }
        if (sb.raidDisks < 2 || sb.raidDisks > sb.devRoles.length) {
            throw new SuperblockException("impossible raid_disks " + Integer.toUnsignedString(sb.raidDisks)
                    + " (max_dev " + sb.devRoles.length + ")");
        }
        long superEnd = sb.superOffset + 8;
        if (sb.dataOffset < superEnd) {
            throw new SuperblockException("data_offset " + Long.toUnsignedString(sb.dataOffset)
                    + " sectors lies inside the superblock area (sectors " + sb.superOffset + ".." + (superEnd - 1) + ")");
        }
        if (sb.size <= 0) {
            throw new SuperblockException("impossible component size " + Long.toUnsignedString(sb.size) + " sectors");
        }
        if (Long.compareUnsigned(sb.size, sb.dataSize) > 0) {
            throw new SuperblockException("component size " + sb.size + " sectors exceeds data_size "
                    + Long.toUnsignedString(sb.dataSize) + " sectors");
        }
        if (sb.dataSize < 0 || sb.dataOffset < 0 || sb.dataOffset + sb.dataSize < 0) {
            throw new SuperblockException("impossible data area: data_offset " + Long.toUnsignedString(sb.dataOffset)
                    + ", data_size " + Long.toUnsignedString(sb.dataSize));
        }
        if (Integer.compareUnsigned(sb.devNumber, sb.devRoles.length) >= 0) {
            throw new SuperblockException("dev_number " + Integer.toUnsignedString(sb.devNumber)
                    + " has no dev_roles slot (max_dev " + sb.devRoles.length + ")");
        }
        if (sb.hasBitmap()) {
            long bitmapSector = sb.superOffset + sb.bitmapOffset;
            if (sb.bitmapOffset == 0 || bitmapSector < 0 || bitmapSector >= sb.dataOffset) {
                throw new SuperblockException("bitmap_offset " + sb.bitmapOffset
                        + " sectors does not point between the superblock and data_offset " + sb.dataOffset);
            }
        }
    }

    private static String unsupportedFeatureNames(int bits) {
        StringBuilder s = new StringBuilder();
        appendIf(s, bits, FEATURE_RESHAPE_ACTIVE | FEATURE_RESHAPE_BACKWARDS | FEATURE_NEW_OFFSET,
                "an unfinished reshape");
        appendIf(s, bits, FEATURE_JOURNAL, "a write journal");
        appendIf(s, bits, FEATURE_PPL | FEATURE_MULTIPLE_PPLS, "a partial parity log");
        return s.toString();
    }

    private static void appendIf(StringBuilder s, int bits, int mask, String what) {
        if ((bits & mask) != 0) {
            if (s.length() > 0) {
                s.append(" and ");
            }
            s.append(what);
        }
    }

    /** See {@link Superblock#encode()}. */
    static ByteBuffer encode(Superblock sb) {
        int used = FIXED_SIZE + 2 * sb.devRoles.length;
        int total = (used + 511) / 512 * 512;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, MAGIC);
        b.putInt(4, MAJOR_VERSION);
        b.putInt(8, sb.featureMap);
        b.position(16);
        b.put(sb.setUuid);
        byte[] name = sb.setName.getBytes(StandardCharsets.UTF_8);
        b.put(name);
        b.putLong(64, sb.ctime);
        b.putInt(72, sb.level);
        b.putInt(76, sb.layout.mdCode());
        b.putLong(80, sb.size);
        b.putInt(88, sb.chunkSectors);
        b.putInt(92, sb.raidDisks);
        b.putInt(96, sb.bitmapOffset);
        b.putInt(100, sb.newLevel);
        b.putLong(104, sb.reshapePosition);
        b.putInt(112, sb.deltaDisks);
        b.putInt(116, sb.newLayoutCode);
        b.putInt(120, sb.newChunkSectors);
        b.putInt(124, sb.newOffset);
        b.putLong(128, sb.dataOffset);
        b.putLong(136, sb.dataSize);
        b.putLong(144, sb.superOffset);
        b.putLong(152, sb.recoveryOffset);
        b.putInt(160, sb.devNumber);
        b.putInt(164, sb.cntCorrectedRead);
        b.position(168);
        b.put(sb.deviceUuid);
        b.put(184, (byte) sb.devFlags);
        b.put(185, (byte) sb.bblogShift);
        b.putShort(186, (short) sb.bblogSize);
        b.putInt(188, sb.bblogOffset);
        b.putLong(192, sb.utime);
        b.putLong(200, sb.events);
        b.putLong(208, sb.resyncOffset);
        b.putInt(220, sb.devRoles.length);
        for (int i = 0; i < sb.devRoles.length; i++) {
            b.putShort(FIXED_SIZE + 2 * i, (short) sb.devRoles[i]);
        }
        for (int i = used; i < total; i++) {
            b.put(i, (byte) 0xff);
        }
        b.position(0);
        int csum = SuperblockChecksum.compute(b, sb.devRoles.length);
        b.putInt(SuperblockChecksum.CSUM_OFFSET, csum);
        sb.checksum = csum;
        sb.expectedChecksum = csum;
        return b;
    }
}
