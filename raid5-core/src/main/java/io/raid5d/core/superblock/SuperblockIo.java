package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads and writes a member's v1.2 superblock (at byte 4096) and its internal bitmap
 * (at superblock + bitmap_offset sectors). Every exception message starts with the member path.
 */
public final class SuperblockIo {
    /** md reads 4 KiB of superblock; the largest possible one (max_dev 1920) fills it. */
    public static final int SUPERBLOCK_AREA_BYTES = 4096;
    /** md refuses members under 24 sectors; with data after the superblock area we need more anyway. */
    public static final long MIN_MEMBER_BYTES = 24 * 512;

    private SuperblockIo() {
    }

    /**
     * Reads and validates the superblock, and checks that the member is big enough for the data
     * area it describes.
     */
    public static Superblock read(MemberDevice dev) throws SuperblockException, IOException {
        Superblock sb = decode(dev, readArea(dev), false);
        long sectors = dev.sizeBytes() / 512;
        if (sb.getDataOffset() + sb.getSize() > sectors) {
            throw new SuperblockException(dev.path() + ": member has " + sectors + " sectors but its superblock uses "
                    + "data_offset " + sb.getDataOffset() + " + size " + sb.getSize() + " = "
                    + (sb.getDataOffset() + sb.getSize()) + " sectors (truncated device?)");
        }
        return sb;
    }

    /**
     * As {@link #read}, but a member in the middle of a reshape is accepted: for the grow that
     * started it, to resume it. The checksum is verified.
     */
    public static Superblock readReshaping(MemberDevice dev) throws SuperblockException, IOException {
        Superblock sb;
        try {
            sb = Superblock.decodeReshaping(readArea(dev));
        } catch (SuperblockException e) {
            throw new SuperblockException(dev.path() + ": " + e.getMessage(), e);
        }
        if (sb.getDataOffset() + sb.getSize() > dev.sizeBytes() / 512) {
            throw new SuperblockException(dev.path() + ": truncated device (data_offset " + sb.getDataOffset() + " + size "
                    + sb.getSize() + " sectors > " + dev.sizeBytes() / 512 + ")");
        }
        return sb;
    }

    /**
     * Reads the superblock for display: a wrong checksum or a truncated member is not an error
     * here (the report shows them), everything else is.
     */
    public static Superblock readForExamine(MemberDevice dev) throws SuperblockException, IOException {
        return decode(dev, readArea(dev), true);
    }

    /** Encodes {@code sb} (computing its checksum) and writes it at byte 4096. Does not sync. */
    public static void write(MemberDevice dev, Superblock sb) throws IOException {
        checkSize(dev);
        ByteBuffer bytes = sb.encode();
        try {
            dev.write(Superblock.SUPER_OFFSET_BYTES, bytes);
        } catch (IOException e) {
            throw new IOException(dev.path() + ": cannot write superblock: " + e.getMessage(), e);
        }
    }

    /** Byte offset of the internal bitmap's header on the member. */
    public static long internalBitmapByteOffset(Superblock sb) {
        return (sb.getSuperOffset() + sb.getBitmapOffset()) * 512;
    }

    /** Reads and validates the internal bitmap header described by {@code sb}. */
    public static BitmapSuperblock readInternalBitmap(MemberDevice dev, Superblock sb)
            throws SuperblockException, IOException {
        if (!sb.hasBitmap()) {
            throw new SuperblockException(dev.path() + ": has no internal bitmap (feature_map 0x"
                    + Integer.toHexString(sb.getFeatureMap()) + ")");
        }
        ByteBuffer header = ByteBuffer.allocate(BitmapSuperblock.SIZE);
        readFully(dev, internalBitmapByteOffset(sb), header, "internal bitmap");
        header.clear(); // whatever read() did to the position, the whole buffer is filled
        BitmapSuperblock bsb;
        try {
            bsb = BitmapSuperblock.decode(header);
        } catch (BitmapFormatException e) {
            throw new SuperblockException(dev.path() + ": internal bitmap: " + e.getMessage(), e);
        }
        if (!java.util.Arrays.equals(bsb.getUuid(), sb.getSetUuid())) {
            throw new SuperblockException(dev.path() + ": internal bitmap belongs to array "
                    + MdUuid.format(bsb.getUuid()) + ", not " + MdUuid.format(sb.getSetUuid()));
        }
        long end = internalBitmapByteOffset(sb) + BitmapSuperblock.SIZE + bsb.bitsBytes();
        if (sb.getBitmapOffset() > 0 && end > sb.getDataOffset() * 512) {
            throw new SuperblockException(dev.path() + ": internal bitmap of " + bsb.bitCount()
                    + " bits runs past data_offset " + sb.getDataOffset());
        }
        return bsb;
    }

    /** Reads the bitmap bits (bitsBytes() of them) that follow the internal bitmap header. */
    public static ByteBuffer readInternalBitmapBits(MemberDevice dev, Superblock sb, BitmapSuperblock bsb)
            throws IOException {
        long bytes = bsb.bitsBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new IOException(dev.path() + ": internal bitmap of " + bytes + " bytes is too large");
        }
        ByteBuffer bits = ByteBuffer.allocate((int) bytes);
        readFully(dev, internalBitmapByteOffset(sb) + BitmapSuperblock.SIZE, bits, "internal bitmap bits");
        bits.clear();
        return bits;
    }

    /** The internal bitmap as stored (header, then bits), validated, for copying to another device. */
    public static ByteBuffer readInternalBitmapImage(MemberDevice dev, Superblock sb) throws SuperblockException, IOException {
        BitmapSuperblock bsb = readInternalBitmap(dev, sb);
        long bytes = BitmapSuperblock.SIZE + bsb.bitsBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new IOException(dev.path() + ": internal bitmap of " + bytes + " bytes is too large");
        }
        ByteBuffer image = ByteBuffer.allocate((int) bytes);
        readFully(dev, internalBitmapByteOffset(sb), image, "internal bitmap");
        image.clear();
        return image;
    }

    /**
     * Writes an internal bitmap image (header followed by bits, as {@link NewArrayPlan#internalBitmapImage()}
     * builds it) at the position {@code sb} names. Does not sync.
     */
    public static void writeInternalBitmap(MemberDevice dev, Superblock sb, ByteBuffer image) throws IOException {
        if (!sb.hasBitmap()) {
            throw new IllegalArgumentException(dev.path() + ": superblock has no internal bitmap");
        }
        long at = internalBitmapByteOffset(sb);
        if (sb.getBitmapOffset() > 0 && at + image.remaining() > sb.getDataOffset() * 512) {
            throw new IllegalArgumentException(dev.path() + ": bitmap image of " + image.remaining()
                    + " bytes would overlap data at sector " + sb.getDataOffset());
        }
        try {
            dev.write(at, image.duplicate());
        } catch (IOException e) {
            throw new IOException(dev.path() + ": cannot write internal bitmap: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer readArea(MemberDevice dev) throws SuperblockException, IOException {
        if (dev.sizeBytes() < MIN_MEMBER_BYTES) {
            throw new SuperblockException(dev.path() + ": too small for an md v1.2 superblock (" + dev.sizeBytes()
                    + " bytes, need at least " + MIN_MEMBER_BYTES + ")");
        }
        ByteBuffer area = ByteBuffer.allocate(SUPERBLOCK_AREA_BYTES);
        readFully(dev, Superblock.SUPER_OFFSET_BYTES, area, "superblock");
        area.clear();
        return area;
    }

    private static Superblock decode(MemberDevice dev, ByteBuffer area, boolean lenient) throws SuperblockException {
        try {
            return lenient ? Superblock.decodeLenient(area) : Superblock.decode(area);
        } catch (SuperblockException e) {
            throw new SuperblockException(dev.path() + ": " + e.getMessage(), e);
        }
    }

    private static void checkSize(MemberDevice dev) throws IOException {
        if (dev.sizeBytes() < MIN_MEMBER_BYTES) {
            throw new IOException(dev.path() + ": too small for an md v1.2 superblock (" + dev.sizeBytes()
                    + " bytes, need at least " + MIN_MEMBER_BYTES + ")");
        }
    }

    private static void readFully(MemberDevice dev, long offset, ByteBuffer dst, String what) throws IOException {
        try {
            dev.read(offset, dst);
        } catch (IOException e) {
            throw new IOException(dev.path() + ": cannot read " + what + " at byte " + offset + ": " + e.getMessage(), e);
        }
    }
}
