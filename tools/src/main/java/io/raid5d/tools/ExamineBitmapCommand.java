package io.raid5d.tools;

import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code raid5 examine-bitmap}: prints a write-intent bitmap as {@code mdadm -X} does, from a
 * member's internal bitmap or from a bitmap file (header at offset 0, bits after it).
 */
@Command(name = "examine-bitmap", description = "Print a write-intent bitmap, like mdadm -X.")
final class ExamineBitmapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MEMBER|FILE")
    String target;

    @Override
    public Integer call() throws Exception {
        // No lock: like mdadm -X, this may look at the bitmap of a running array.
        try (MemberDevice dev = MemberDevices.openForInspection(target)) {
            BitmapSuperblock bsb;
            ByteBuffer bits;
            Superblock sb = memberSuperblock(dev);
            if (sb != null) {
                bsb = SuperblockIo.readInternalBitmap(dev, sb);
                bits = SuperblockIo.readInternalBitmapBits(dev, sb, bsb);
            } else {
                bsb = readFileHeader(dev);
                if (BitmapSuperblock.SIZE + bsb.bitsBytes() > dev.sizeBytes()) {
                    throw new IOException(dev.path() + ": bitmap file is shorter than its " + bsb.bitCount() + " bits");
                }
                bits = ByteBuffer.allocate((int) bsb.bitsBytes());
                dev.read(BitmapSuperblock.SIZE, bits);
                bits.clear();
            }
            spec.commandLine().getOut().print(BitmapReport.format(dev.path(), bsb, bits));
            return 0;
        }
    }

    /** The member's superblock if it is an md member with an internal bitmap, else null (a bitmap file). */
    private static Superblock memberSuperblock(MemberDevice dev) throws IOException, SuperblockException {
        if (dev.sizeBytes() < SuperblockIo.MIN_MEMBER_BYTES) {
            return null;
        }
        try {
            Superblock sb = SuperblockIo.readForExamine(dev);
            if (!sb.hasBitmap()) {
                throw new SuperblockException(dev.path() + ": md member without an internal bitmap");
            }
            return sb;
        } catch (SuperblockException e) {
            if (e.getMessage().contains("no md superblock")) {
                return null;
            }
            throw e;
        }
    }

    private static BitmapSuperblock readFileHeader(MemberDevice dev) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(BitmapSuperblock.SIZE);
        dev.read(0, header);
        try {
            return BitmapSuperblock.decode(header.clear());
        } catch (BitmapFormatException e) {
            throw new IOException(dev.path() + ": neither an md member nor a bitmap file: " + e.getMessage(), e);
        }
    }
}
