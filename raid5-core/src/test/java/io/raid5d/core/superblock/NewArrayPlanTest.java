package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewArrayPlanTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    private static NewArrayPlan.Request request(int n, long memberBytes) {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("test").raidDisks(n).random(new Random(7));
        for (int i = 0; i < n; i++) {
            r.member("m" + i, memberBytes);
        }
        return r;
    }

    private static String planError(NewArrayPlan.Request r) {
        return assertThrows(IllegalArgumentException.class, () -> NewArrayPlan.plan(r)).getMessage();
    }

    /** mdadm's -x: spares get the dev_numbers after the members, role 0xffff, room for them in max_dev, and the same size. */
    @Test
    void sparesComeAfterTheMembersWithoutARole() {
        NewArrayPlan plan = NewArrayPlan.plan(request(3, 64 * MIB).spare("s0", 64 * MIB).spare("s1", 80 * MIB));
        assertEquals(3, plan.raidDisks());
        assertEquals(2, plan.spares());
        List<Superblock> sbs = plan.superblocks();
        assertEquals(5, sbs.size());
        for (int i = 0; i < 5; i++) {
            Superblock sb = sbs.get(i);
            assertEquals(i, sb.getDevNumber());
            assertEquals(3, sb.getRaidDisks());
            assertEquals(sbs.get(0).getSize(), sb.getSize(), "every device carries the array's member size");
            assertEquals(i < 3 ? i : Superblock.ROLE_SPARE, sb.roleOf(i), "dev " + i);
            assertTrue(sb.getDevRoles().length >= 5);
        }
        assertEquals(80 * MIB / 512 - sbs.get(4).getDataOffset(), sbs.get(4).getDataSize(), "its own data size");
        assertTrue(planError(request(3, 64 * MIB).spare("small", 16 * MIB)).contains("spare small is too small"));
    }

    /** mdadm's --data-offset: every member's data starts there; refused when unaligned or over the superblock. */
    @Test
    void aChosenDataOffsetIsUsedOnEveryMember() {
        NewArrayPlan plan = NewArrayPlan.plan(request(3, 64 * MIB).dataOffsetBytes(8 * MIB).spare("s", 64 * MIB));
        for (Superblock sb : plan.superblocks()) {
            assertEquals(8 * MIB / 512, sb.getDataOffset());
            assertEquals(64 * MIB / 512 - 8 * MIB / 512, sb.getDataSize());
        }
        assertTrue(planError(request(3, 64 * MIB).dataOffsetBytes(4096 + 512)).contains("not a multiple of 4 KiB"));
        assertTrue(planError(request(3, 64 * MIB).dataOffsetBytes(4096)).contains("no room for the superblock"));
    }

    @Test
    void dataOffsetFollowsMdadm() {
        // fixtures: 16 MiB / 64K chunk and 8 MiB / 16K chunk members got 2048 sectors
        assertEquals(2048, NewArrayPlan.defaultDataOffset(32768, 128));
        assertEquals(2048, NewArrayPlan.defaultDataOffset(16384, 32));
        // 10 GiB: 16 MiB of headroom plus 64 KiB bitmap space, rounded up to 1 MiB
        assertEquals(18432, NewArrayPlan.defaultDataOffset(10 * GIB / 512, 1024));
        // big disks get the full 128 MiB headroom: the familiar 264192 sectors
        assertEquals(264192, NewArrayPlan.defaultDataOffset(1L << 31, 1024));
        assertEquals(264192, NewArrayPlan.defaultDataOffset(8L << 31, 1024));
        // large chunks keep at least two chunks of headroom: 24 + 8 + 2048 rounds up to 4096
        assertEquals(4096, NewArrayPlan.defaultDataOffset(32768, 1024));
    }

    @Test
    void bitmapSpaceAndMaxDevFollowMdadm() {
        assertEquals(0, NewArrayPlan.chooseBitmapSpace(100));
        assertEquals(8, NewArrayPlan.chooseBitmapSpace(32768));
        assertEquals(128, NewArrayPlan.chooseBitmapSpace(9 * GIB / 512));
        assertEquals(256, NewArrayPlan.chooseBitmapSpace(300 * GIB / 512));
        assertEquals(128, NewArrayPlan.maxDevFor(4));
        assertEquals(128, NewArrayPlan.maxDevFor(128));
        assertEquals(384, NewArrayPlan.maxDevFor(129));
    }

    /** Planning the fixture arrays with mdadm's create options gives md's own superblocks back. */
    @Test
    void reproducesTheFixtureArrays() throws Exception {
        reproduce("ls4-c64-bm1m", Layout.LEFT_SYMMETRIC, 64 * 1024, NewArrayPlan.BitmapKind.INTERNAL, MIB);
        reproduce("la5-c16-nobm", Layout.LEFT_ASYMMETRIC, 16 * 1024, NewArrayPlan.BitmapKind.NONE, 0);
    }

    @TempDir
    Path tmp;

    private void reproduce(String fixture, Layout layout, long chunk, NewArrayPlan.BitmapKind bitmap,
                           long bitmapChunk) throws Exception {
        Properties p = Fixtures.properties(fixture);
        int n = Integer.parseInt(p.getProperty("members"));
        Path dir = Fixtures.unpack(fixture, tmp);
        NewArrayPlan.Request r = new NewArrayPlan.Request().name(p.getProperty("name")).homeHost("kguest")
                .setUuid(MdUuid.parse(p.getProperty("array_uuid"))).raidDisks(n).chunkBytes(chunk).layout(layout)
                .bitmap(bitmap).bitmapChunkBytes(bitmapChunk).assumeClean(true);
        for (int i = 0; i < n; i++) {
            r.member("vd" + (char) ('b' + i), Long.parseLong(p.getProperty("member_size_bytes")));
        }
        NewArrayPlan plan = NewArrayPlan.plan(r);
        assertTrue(plan.warnings().isEmpty());
        for (int i = 0; i < n; i++) {
            Superblock md;
            BitmapSuperblock mdBitmap = null;
            try (TestFileMember dev = TestFileMember.openReadOnly(Fixtures.member(dir, i))) {
                md = SuperblockIo.read(dev);
                if (md.hasBitmap()) {
                    mdBitmap = SuperblockIo.readInternalBitmap(dev, md);
                }
            }
            Superblock ours = plan.superblock(i);
            // What the kernel changed after creation, and what is random, is taken from md's copy.
            ours.setDeviceUuid(md.getDeviceUuid());
            ours.setCtime(md.getCtime());
            ours.setUtime(md.getUtime());
            ours.setEvents(md.getEvents());
            assertEquals(md, ours, fixture + " member " + i);
            ByteBuffer mdBytes = md.encode();
            assertEquals(mdBytes, ours.encode(), "byte for byte");
            if (mdBitmap != null) {
                BitmapSuperblock bm = plan.bitmapSuperblock();
                bm.setEvents(mdBitmap.getEvents());
                bm.setEventsCleared(mdBitmap.getEventsCleared());
                assertEquals(mdBitmap, bm);
            }
        }
    }

    @Test
    void newArrayNeedsResyncAndHasEveryBitSet() {
        NewArrayPlan plan = NewArrayPlan.plan(request(4, 64 * MIB).bitmapChunkBytes(MIB));
        for (Superblock sb : plan.superblocks()) {
            assertEquals(0, sb.getResyncOffset());
            assertFalse(sb.isClean());
            assertEquals(0, sb.getEvents());
            assertEquals(Superblock.FEATURE_BITMAP_OFFSET, sb.getFeatureMap());
            assertEquals(8, sb.getBitmapOffset());
        }
        BitmapSuperblock bsb = plan.bitmapSuperblock();
        assertEquals(plan.componentSectors(), bsb.getSyncSize());
        assertEquals(MIB, bsb.getChunkSize());
        assertEquals(5, bsb.getDaemonSleep());
        assertEquals(4, bsb.getVersion());
        assertArrayEquals(plan.setUuid(), bsb.getUuid());
        ByteBuffer image = plan.internalBitmapImage();
        assertEquals(4096, image.remaining());
        ByteBuffer bits = image.duplicate().position(256);
        assertEquals(bsb.bitCount(), BitmapBits.countDirty(bits, bsb.bitCount()));
        assertEquals((byte) 0xff, image.get(4095));

        ByteBuffer file = plan.bitmapFileImage();
        assertEquals(256 + bsb.bitsBytes(), file.remaining());
    }

    @Test
    void assumeCleanMarksInSyncAndClearsBits() {
        NewArrayPlan plan = NewArrayPlan.plan(request(3, 64 * MIB).assumeClean(true));
        assertTrue(plan.superblock(0).isClean());
        ByteBuffer bits = plan.internalBitmapImage().position(256);
        assertEquals(0, BitmapBits.countDirty(bits, plan.bitmapSuperblock().bitCount()));
    }

    @Test
    void defaultsAndIdentity() {
        Instant when = Instant.parse("2030-05-06T07:08:09.5Z");
        NewArrayPlan plan = NewArrayPlan.plan(request(5, 100 * MIB).createdAt(when).random(new Random()));
        List<Superblock> sbs = plan.superblocks();
        Set<String> deviceUuids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Superblock sb = sbs.get(i);
            assertEquals(i, sb.getDevNumber());
            assertEquals(i, sb.role());
            assertEquals(Layout.LEFT_SYMMETRIC, sb.getLayout());
            assertEquals(1024, sb.getChunkSectors());
            assertEquals(8, sb.getSuperOffset());
            assertEquals("test", sb.getSetName());
            assertEquals(when.getEpochSecond(), sb.ctimeInstant().getEpochSecond());
            assertEquals(0, MdTimestamp.micros(sb.getCtime()));
            assertEquals(sb.getCtime(), sb.getUtime());
            assertEquals(0, sb.getSize() % 1024);
            assertEquals(100 * MIB / 512 - sb.getDataOffset(), sb.getDataSize());
            assertArrayEquals(plan.setUuid(), sb.getSetUuid());
            deviceUuids.add(MdUuid.format(sb.getDeviceUuid()));
            assertEquals("AAAAA", ExamineReport.arrayState(sb));
        }
        assertEquals(5, deviceUuids.size());
        assertFalse(Arrays.equals(new byte[16], plan.setUuid()));
        assertEquals(64 * MIB, plan.bitmapSuperblock().getChunkSize(), "default bitmap chunk");
        assertEquals(plan.componentSectors() * 4 * 512, plan.arrayBytes());
    }

    @Test
    void sizeIsRoundedToChunksAndLimitedByTheSmallestMember() {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("mixed").raidDisks(3).chunkBytes(64 * 1024)
                .member("a", 64 * MIB).member("b", 40 * MIB + 12345).member("c", 64 * MIB);
        NewArrayPlan plan = NewArrayPlan.plan(r);
        long expected = ((40 * MIB + 12345) / 512 - 2048) / 128 * 128;
        assertEquals(expected, plan.componentSectors());
        assertEquals(1, plan.warnings().size());
        assertTrue(plan.warnings().get(0).startsWith("largest member (a) exceeds"), plan.warnings().get(0));
        assertEquals(64 * MIB / 512 - 2048, plan.superblock(0).getDataSize());
        assertEquals((40 * MIB + 12345) / 512 - 2048, plan.superblock(1).getDataSize());

        NewArrayPlan sized = NewArrayPlan.plan(request(3, 64 * MIB).chunkBytes(64 * 1024)
                .requestedSizeBytes(10 * MIB + 70 * 1024));
        assertEquals(10 * MIB / 512 + 128, sized.componentSectors());
        assertTrue(sized.warnings().isEmpty());
    }

    @Test
    void bitmapKinds() {
        NewArrayPlan none = NewArrayPlan.plan(request(3, 64 * MIB).bitmap(NewArrayPlan.BitmapKind.NONE));
        assertNull(none.bitmapSuperblock());
        assertEquals(0, none.superblock(0).getFeatureMap());
        assertEquals(0, none.superblock(0).getBitmapOffset());
        assertThrows(IllegalStateException.class, none::internalBitmapImage);
        assertThrows(IllegalStateException.class, none::bitmapFileImage);

        NewArrayPlan file = NewArrayPlan.plan(request(3, 64 * MIB).bitmap(NewArrayPlan.BitmapKind.FILE)
                .bitmapChunkBytes(4096));
        assertEquals(0, file.superblock(0).getFeatureMap());
        assertEquals(4096, file.bitmapSuperblock().getChunkSize());
        assertEquals(file.componentSectors() * 512 / 4096, file.bitmapSuperblock().bitCount());
        assertThrows(IllegalStateException.class, file::internalBitmapImage);
        assertEquals(256 + file.bitmapSuperblock().bitsBytes(), file.bitmapFileImage().remaining());
    }

    @Test
    void internalBitmapChunkMustFitTheReservedSpace() {
        // 1 GiB members: 4 KiB of bitmap space holds 30720 bits, so chunks of at least 64 KiB
        String msg = planError(request(3, GIB).bitmapChunkBytes(4096));
        assertTrue(msg.contains("bitmap chunk 4096 bytes is too small") && msg.contains("at least 65536 bytes"), msg);
        assertEquals(65536, NewArrayPlan.plan(request(3, GIB).bitmapChunkBytes(65536)).bitmapSuperblock().getChunkSize());
        msg = planError(request(3, 64 * MIB).bitmapChunkBytes(3 * MIB));
        assertTrue(msg.startsWith("bitmap chunk 3145728 bytes is not a power of two"), msg);
    }

    @Test
    void impossibleRequestsAreRefused() {
        assertEquals("a RAID-5 array needs at least 3 members, got 2", planError(request(2, 64 * MIB)));
        assertEquals("raid devices is 4 but 3 members were given",
                planError(request(3, 64 * MIB).raidDisks(4)));
        assertEquals("chunk size 100000 bytes is not a power of two of at least 4 KiB",
                planError(request(3, 64 * MIB).chunkBytes(100000)));
        assertEquals("chunk size 2048 bytes is not a power of two of at least 4 KiB",
                planError(request(3, 64 * MIB).chunkBytes(2048)));
        assertEquals("array name 'abcdefghijklmnopqrstuvwxyz0123456' is 33 bytes; at most 32 fit in the superblock",
                planError(request(3, 64 * MIB).name("abcdefghijklmnopqrstuvwxyz0123456")));
        assertEquals("the array needs a name", planError(request(3, 64 * MIB).name("")));
        String msg = planError(request(3, 64 * MIB).member("x", 0).raidDisks(4));
        assertTrue(msg.startsWith("member x is too small for md"), msg);
        msg = planError(request(3, MIB + 2048).chunkBytes(4096));
        assertTrue(msg.startsWith("member m0 is too small: 1050624 bytes, but data starts at 1048576 bytes"), msg);
        // 512 KiB chunks on 64 MiB members: data starts at 2 MiB, 62 MiB remain
        assertEquals("requested size 67108864 bytes per member exceeds the 65011712 bytes available on the smallest member",
                planError(request(3, 64 * MIB).requestedSizeBytes(64 * MIB)));
        msg = planError(request(3, 64 * MIB).requestedSizeBytes(1000));
        assertTrue(msg.contains("smaller than one chunk"), msg);
        assertTrue(planError(request(3, 64 * MIB).setUuid(new byte[3])).contains("16 bytes"));
    }

    @Test
    void homeHostPrefixLikeMdadm() {
        assertEquals("box:data", NewArrayPlan.plan(request(3, 64 * MIB).name("data").homeHost("box")).setName());
        assertEquals("other:data",
                NewArrayPlan.plan(request(3, 64 * MIB).name("other:data").homeHost("box")).setName());
        // does not fit with the prefix: stored without it
        assertEquals("abcdefghijklmnopqrstuvwxyz0123",
                NewArrayPlan.plan(request(3, 64 * MIB).name("abcdefghijklmnopqrstuvwxyz0123").homeHost("box")).setName());
    }
}
