package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writes what NewArrayPlan plans onto sparse files and lets the real mdadm read it. */
class MdadmRoundTripTest {
    private static final long MIB = 1L << 20;
    private static final long TIB = 1L << 40;

    @TempDir
    Path tmp;

    private List<TestFileMember> createMembers(int n, long bytes) throws Exception {
        List<TestFileMember> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(TestFileMember.create(tmp.resolve("m" + i + ".img"), bytes));
        }
        return members;
    }

    private static void closeAll(List<TestFileMember> members) throws Exception {
        for (TestFileMember m : members) {
            m.close();
        }
    }

    private static String examineOurs(TestFileMember dev) throws Exception {
        Superblock sb = SuperblockIo.readForExamine(dev);
        BitmapSuperblock bsb = sb.hasBitmap() ? SuperblockIo.readInternalBitmap(dev, sb) : null;
        return ExamineReport.format(dev.path(), sb, dev.sizeBytes() / 512, bsb, null, ZoneOffset.UTC);
    }

    @Test
    void mdadmReadsOurSuperblocksAndInternalBitmap() throws Exception {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("roundtrip").raidDisks(4).chunkBytes(64 * 1024)
                .layout(Layout.RIGHT_ASYMMETRIC).bitmap(NewArrayPlan.BitmapKind.INTERNAL).bitmapChunkBytes(MIB);
        for (int i = 0; i < 4; i++) {
            r.member("m" + i, 64 * MIB);
        }
        NewArrayPlan plan = NewArrayPlan.plan(r);
        List<TestFileMember> members = createMembers(4, 64 * MIB);
        try {
            plan.writeTo(members);
            String uuid = MdUuid.format(plan.setUuid());
            for (int i = 0; i < 4; i++) {
                TestFileMember dev = members.get(i);
                String mdadm = Commands.check("mdadm", "--examine", dev.path());
                assertTrue(mdadm.contains("     Array UUID : " + uuid + "\n"), mdadm);
                assertTrue(mdadm.contains("           Name : roundtrip\n"), mdadm);
                assertTrue(mdadm.contains("     Raid Level : raid5\n"), mdadm);
                assertTrue(mdadm.contains("   Raid Devices : 4\n"), mdadm);
                assertTrue(mdadm.contains("     Chunk Size : 64K\n"), mdadm);
                assertTrue(mdadm.contains("         Layout : right-asymmetric\n"), mdadm);
                assertTrue(mdadm.contains("Internal Bitmap : 8 sectors from superblock\n"), mdadm);
                assertTrue(mdadm.contains("          State : active\n"), mdadm);
                assertTrue(mdadm.contains("   Device Role : Active device " + i + "\n"), mdadm);
                assertTrue(mdadm.matches("(?s).*       Checksum : [0-9a-f]+ - correct\n.*"), mdadm);
                // and every other line is what we print ourselves
                assertEquals(mdadm, examineOurs(dev));
            }

            Superblock sb = SuperblockIo.read(members.get(0));
            BitmapSuperblock bsb = SuperblockIo.readInternalBitmap(members.get(0), sb);
            ByteBuffer bits = SuperblockIo.readInternalBitmapBits(members.get(0), sb, bsb);
            try (Commands.Loop loop = new Commands.Loop(tmp.resolve("m0.img"))) {
                String mdadm = Commands.check("mdadm", "-X", loop.device);
                assertTrue(mdadm.contains("            UUID : " + uuid + "\n"), mdadm);
                assertTrue(mdadm.contains("       Chunksize : 1 MB\n"), mdadm);
                long bitCount = plan.componentSectors() * 512 / MIB;
                assertTrue(mdadm.contains("          Bitmap : " + bitCount + " bits (chunks), " + bitCount + " dirty (100.0%)\n"),
                        mdadm);
                assertEquals(mdadm, BitmapReport.format(loop.device, bsb, bits));
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void mdadmReadsOurBitmapFile() throws Exception {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("filebm").raidDisks(3).chunkBytes(128 * 1024)
                .bitmap(NewArrayPlan.BitmapKind.FILE).bitmapChunkBytes(64 * 1024);
        for (int i = 0; i < 3; i++) {
            r.member("m" + i, 48 * MIB);
        }
        NewArrayPlan plan = NewArrayPlan.plan(r);
        Path file = tmp.resolve("array.bitmap");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer image = plan.bitmapFileImage();
            while (image.hasRemaining()) {
                ch.write(image);
            }
        }
        // clear a few bits so the dirty count and percentage are not trivial
        byte[] content = Files.readAllBytes(file);
        content[256] = 0;
        content[257] = 0x0f;
        Files.write(file, content);

        String mdadm = Commands.check("mdadm", "-X", file.toString());
        ByteBuffer all = ByteBuffer.wrap(content);
        BitmapSuperblock bsb = BitmapSuperblock.decode(all);
        String ours = BitmapReport.format(file.toString(), bsb, all.duplicate().position(256));
        assertEquals(mdadm, ours);
        assertTrue(ours.contains(" dirty ("), ours);
    }

    @Test
    void mdadmAgreesOnHugeMembersAndAnOddMaxDev() throws Exception {
        // 3 TiB sparse members: GiB/TiB size texts, 128 KiB bitmap space, the 128 MiB headroom
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("huge").raidDisks(3).assumeClean(true);
        for (int i = 0; i < 3; i++) {
            r.member("m" + i, 3 * TIB);
        }
        NewArrayPlan plan = NewArrayPlan.plan(r);
        assertEquals(264192, plan.dataOffsetSectors());
        List<TestFileMember> members = createMembers(3, 3 * TIB);
        try {
            plan.writeTo(members);
            for (TestFileMember dev : members) {
                String mdadm = Commands.check("mdadm", "--examine", dev.path());
                assertTrue(mdadm.contains(" TB)"), mdadm);
                assertEquals(mdadm, examineOurs(dev));
            }
            // a member whose superblock has an odd number of dev_roles slots, a used size below
            // the available size, a recovery offset and flags: checksum and layout still agree
            Superblock sb = plan.superblock(1);
            sb.setMaxDev(7);
            sb.setSize(sb.getSize() - 1024);
            sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_RECOVERY_OFFSET);
            sb.setRecoveryOffset(4096);
            sb.setDevFlags(Superblock.DEVFLAG_WRITE_MOSTLY);
            sb.setEvents(42);
            SuperblockIo.write(members.get(1), sb);
            String mdadm = Commands.check("mdadm", "--examine", members.get(1).path());
            assertTrue(mdadm.matches("(?s).*       Checksum : [0-9a-f]+ - correct\n.*"), mdadm);
            assertTrue(mdadm.contains("  Used Dev Size : "), mdadm);
            assertEquals(mdadm, examineOurs(members.get(1)));
        } finally {
            closeAll(members);
        }
    }

    /**
     * A member in the middle of md's grow from 4 to 5 members, its superblock as the kernel writes
     * it at a checkpoint (raid_disks already 5, delta_disks 1, reshape_position in array sectors,
     * new_offset one new row of chunks below data_offset, RESHAPE_ACTIVE | NEW_OFFSET): mdadm and
     * raid5d print the same examine report, and raid5d refuses to run it with the reason.
     */
    @Test
    void aMemberMidReshapeIsShownAsMdadmShowsItAndNotRun() throws Exception {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("grow").raidDisks(4).chunkBytes(64 * 1024)
                .bitmap(NewArrayPlan.BitmapKind.INTERNAL).bitmapChunkBytes(MIB);
        for (int i = 0; i < 4; i++) {
            r.member("m" + i, 64 * MIB);
        }
        NewArrayPlan plan = NewArrayPlan.plan(r);
        List<TestFileMember> members = createMembers(4, 64 * MIB);
        try {
            plan.writeTo(members);
            TestFileMember dev = members.get(1);
            Superblock sb = SuperblockIo.read(dev);
            int chunk = sb.getChunkSectors();
            sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_RESHAPE_ACTIVE | Superblock.FEATURE_NEW_OFFSET);
            sb.setRaidDisks(5);
            sb.setDeltaDisks(1);
            sb.setNewLevel(5);
            sb.setNewLayoutCode(sb.getLayout().mdCode());
            sb.setNewChunkSectors(chunk);
            sb.setReshapePosition(37L * chunk * 4); // 37 new stripes done, aligned as the kernel requires
            sb.setNewOffset(-chunk * 4);
            sb.setEvents(sb.getEvents() + 7);
            SuperblockIo.write(dev, sb);
            dev.sync();

            String mdadm = Commands.check("mdadm", "--examine", dev.path());
            assertTrue(mdadm.contains("  Reshape pos'n : " + (37L * chunk * 4 / 2)), mdadm);
            assertTrue(mdadm.contains("  Delta Devices : 1 (4->5)\n"), mdadm);
            assertTrue(mdadm.contains("     New Offset : " + (sb.getDataOffset() - chunk * 4) + " sectors\n"), mdadm);
            assertEquals(mdadm, examineOurs(dev));

            Superblock shown = SuperblockIo.readForExamine(dev);
            assertTrue(shown.reshapeActive());
            assertEquals(sb.getDataOffset() - chunk * 4, shown.newDataOffset());
            assertEquals(37L * chunk * 4, shown.getReshapePosition());
            String refused = org.junit.jupiter.api.Assertions.assertThrows(SuperblockException.class,
                    () -> SuperblockIo.read(dev)).getMessage();
            assertTrue(refused.contains("in the middle of a reshape (4->5 members, at array sector " + 37L * chunk * 4 + ")"),
                    refused);
        } finally {
            closeAll(members);
        }
    }
}
