package io.raid5d.core.bitmapstore;

import io.raid5d.core.superblock.Commands;
import io.raid5d.bitmap.BitmapOpenOptions;
import io.raid5d.bitmap.WriteIntentBitmap;
import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The internal bitmap on real member files, written on every member and read back by mdadm -X. */
class InternalBitmapStoreTest {
    private static final long GIB = 1L << 30;
    private static final int MEMBERS = 3;
    /** 16 GiB members: mdadm reserves 64 KiB for the bitmap; 256 KiB chunks give 65536 bits, three pages. */
    private static final long MEMBER_BYTES = 16 * GIB;
    private static final long BITMAP_CHUNK = 256 * 1024;

    @TempDir
    Path tmp;

    private final List<MemberDevice> opened = new ArrayList<>();
    private NewArrayPlan plan;

    @AfterEach
    void closeMembers() throws IOException {
        for (MemberDevice m : opened) {
            m.close();
        }
    }

    private Path memberPath(int i) {
        return tmp.resolve("m" + i + ".img");
    }

    /** Creates the array on sparse files (clean: bitmap all clear) and opens its members. */
    private List<MemberDevice> createArray() throws Exception {
        NewArrayPlan.Request r = new NewArrayPlan.Request().name("ibm").raidDisks(MEMBERS).chunkBytes(64 * 1024)
                .bitmap(NewArrayPlan.BitmapKind.INTERNAL).bitmapChunkBytes(BITMAP_CHUNK).assumeClean(true);
        for (int i = 0; i < MEMBERS; i++) {
            r.member("m" + i, MEMBER_BYTES);
            try (FileChannel ch = FileChannel.open(memberPath(i), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(1), MEMBER_BYTES - 1);
            }
        }
        plan = NewArrayPlan.plan(r);
        List<MemberDevice> members = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            MemberDevice m = MemberDevices.open(memberPath(i), false);
            opened.add(m);
            members.add(m);
        }
        plan.writeTo(members);
        return members;
    }

    private static List<Superblock> superblocks(List<? extends MemberDevice> members) throws Exception {
        List<Superblock> out = new ArrayList<>();
        for (MemberDevice m : members) {
            out.add(m == null ? null : SuperblockIo.read(m));
        }
        return out;
    }

    private static BitmapOpenOptions options(Superblock sb) {
        return new BitmapOpenOptions().arrayUuid(sb.getSetUuid()).arrayEvents(sb.getEvents())
                .resyncOffset(sb.getResyncOffset()).componentSectors(sb.getSize());
    }

    private static ByteBuffer bitsOn(MemberDevice m) throws Exception {
        Superblock sb = SuperblockIo.read(m);
        return SuperblockIo.readInternalBitmapBits(m, sb, SuperblockIo.readInternalBitmap(m, sb));
    }

    @Test
    void pagesGoToEveryMemberAndMdadmReadsThem() throws Exception {
        List<MemberDevice> members = createArray();
        List<Superblock> sbs = superblocks(members);
        InternalBitmapStore store = InternalBitmapStore.of(members, sbs);
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, options(sbs.get(0)));
        long n = bm.chunkCount();
        assertEquals(sbs.get(0).getSize() * 512 / BITMAP_CHUNK, n);
        assertTrue((256 + n / 8) / 4096 == 2, "the bitmap has three pages");
        assertEquals(BITMAP_CHUNK / 512, bm.chunkSectors());
        long[] chunks = {0, 1, 7, 30000, 40000, n - 1}; // pages 0, 1 and 2
        for (long c : chunks) {
            bm.startWrite(c * bm.chunkSectors(), 8);
        }
        bm.unplug().join();
        bm.setEvents(sbs.get(0).getEvents() + 1);

        ByteBuffer first = bitsOn(members.get(0));
        for (MemberDevice m : members) {
            ByteBuffer bits = bitsOn(m);
            assertEquals(first, bits, m.path() + " holds the same bits");
            assertEquals(chunks.length, BitmapBits.countDirty(bits, n));
            for (long c : chunks) {
                assertTrue(BitmapBits.isSet(bits, c), m.path() + " chunk " + c);
            }
        }
        String uuid = mdUuid(sbs.get(0).getSetUuid());
        try (Commands.Loop loop = new Commands.Loop(memberPath(1))) {
            String mdadm = Commands.check("mdadm", "-X", loop.device);
            Superblock sb = SuperblockIo.read(members.get(1));
            BitmapSuperblock header = SuperblockIo.readInternalBitmap(members.get(1), sb);
            assertEquals(mdadm, BitmapReport.format(loop.device, header, bitsOn(members.get(1))));
            assertEquals(mdadm, bm.report(loop.device), "what is in memory is what is on disk");
            assertTrue(mdadm.contains("            UUID : " + uuid + "\n"), mdadm);
            assertTrue(mdadm.contains("          Events : " + (sbs.get(0).getEvents() + 1) + "\n"), mdadm);
            assertTrue(mdadm.contains("          Bitmap : " + n + " bits (chunks), 6 dirty (0.0%)\n"), mdadm);
        }
        // the superblocks and data offsets are untouched by bitmap writes
        assertEquals(sbs.get(2).getEvents(), SuperblockIo.read(members.get(2)).getEvents());

        for (long c : chunks) {
            bm.endWrite(c * bm.chunkSectors(), 8, true, false);
        }
        assertEquals(0, bm.clearIdleBits());
        for (MemberDevice m : members) {
            assertEquals(0, BitmapBits.countDirty(bitsOn(m), n), m.path());
        }
        try (Commands.Loop loop = new Commands.Loop(memberPath(2))) {
            String mdadm = Commands.check("mdadm", "-X", loop.device);
            assertTrue(mdadm.contains("          Bitmap : " + n + " bits (chunks), 0 dirty (0.0%)\n"), mdadm);
        }
        bm.close();
    }

    @Test
    void readsFromTheFirstMemberWithAValidCopy() throws Exception {
        List<MemberDevice> members = createArray();
        List<Superblock> sbs = superblocks(members);
        // member 0's bitmap header is destroyed; member 1 is missing
        members.get(0).write(SuperblockIo.internalBitmapByteOffset(sbs.get(0)), ByteBuffer.allocate(512));
        members.get(0).sync();
        List<MemberDevice> present = new ArrayList<>(members);
        present.set(1, null);
        InternalBitmapStore store = InternalBitmapStore.of(present, sbs);
        assertEquals(2, store.memberCount());
        assertEquals("internal bitmap on " + memberPath(0) + ", " + memberPath(2), store.describe());
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, options(sbs.get(0)));
        assertEquals(sbs.get(0).getSize() * 512 / BITMAP_CHUNK, bm.chunkCount());
        bm.startWrite(0, 8);
        bm.unplug().join();
        bm.endWrite(0, 8, true, false);
        bm.close();
        // page 0 rewrote member 0's header too; the missing member was not touched
        assertTrue(BitmapBits.isSet(bitsOn(members.get(0)), 0));
        assertFalse(BitmapBits.isSet(bitsOn(members.get(1)), 0));

        for (int i = 0; i < MEMBERS; i++) {
            members.get(i).write(SuperblockIo.internalBitmapByteOffset(sbs.get(i)), ByteBuffer.allocate(512));
        }
        BitmapFormatException none = assertThrows(BitmapFormatException.class,
                () -> WriteIntentBitmap.open(InternalBitmapStore.of(members, sbs), options(sbs.get(0))));
        assertTrue(none.getMessage().startsWith("no valid internal bitmap on any member: " + memberPath(0)
                + ": internal bitmap: no md bitmap"), none.getMessage());
    }

    @Test
    void aFailingMemberIsDroppedAndReportedWhileOthersGetTheBitmap() throws Exception {
        List<MemberDevice> members = createArray();
        List<Superblock> sbs = superblocks(members);
        FaultInjectingMemberDevice bad = new FaultInjectingMemberDevice(members.get(2));
        List<MemberDevice> faulty = new ArrayList<>(members);
        faulty.set(2, bad);
        InternalBitmapStore store = InternalBitmapStore.of(faulty, sbs);
        List<String> reported = new CopyOnWriteArrayList<>();
        store.setMemberErrorListener((slot, member, error) -> reported.add(slot + " " + error.getMessage()));
        WriteIntentBitmap bm = WriteIntentBitmap.open(store, options(sbs.get(0)));
        bad.failAll();
        bm.startWrite(8, 8);
        bm.unplug().join();
        assertEquals(1, reported.size(), reported.toString());
        assertTrue(reported.get(0).startsWith("2 " + memberPath(2) + ": cannot write bitmap page 0"), reported.get(0));
        assertEquals(2, store.memberCount());
        assertTrue(BitmapBits.isSet(bitsOn(members.get(0)), 0));
        assertTrue(BitmapBits.isSet(bitsOn(members.get(1)), 0));
        assertFalse(BitmapBits.isSet(bitsOn(members.get(2)), 0));

        store.removeMember(0);
        assertEquals(1, store.memberCount());
        bm.endWrite(8, 8, true, false);
        bm.close();

        // when no member is left, the bitmap fails and so do its batches
        FaultInjectingMemberDevice dying = new FaultInjectingMemberDevice(members.get(1));
        InternalBitmapStore dyingStore = InternalBitmapStore.of(Arrays.asList(null, dying, null), sbs);
        WriteIntentBitmap dyingBitmap = WriteIntentBitmap.open(dyingStore, options(sbs.get(0)));
        dying.failAll();
        long chunk16 = 16 * dyingBitmap.chunkSectors();
        dyingBitmap.startWrite(chunk16, 8);
        CompletableFuture<Void> f = dyingBitmap.unplug();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause().getMessage().startsWith("cannot write bitmap page 0 on any member: " + memberPath(1)),
                e.getCause().getMessage());
        assertEquals(0, dyingStore.memberCount());
        dyingBitmap.endWrite(chunk16, 8, true, false);
        assertThrows(IOException.class, dyingBitmap::close);
    }

    private static String mdUuid(byte[] u) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            if (i > 0 && i % 4 == 0) {
                s.append(':');
            }
            s.append(String.format("%02x", u[i] & 0xff));
        }
        return s.toString();
    }

    @Test
    void theHeaderAndBitsReadBackMatchTheStoredArea() throws Exception {
        List<MemberDevice> members = createArray();
        List<Superblock> sbs = superblocks(members);
        ByteBuffer area = InternalBitmapStore.of(members, sbs).readArea();
        BitmapSuperblock header = BitmapSuperblock.decode(area);
        assertEquals(plan.bitmapSuperblock(), header);
        assertEquals(256 + header.bitsBytes(), area.remaining());
        assertArrayEquals(new byte[(int) header.bitsBytes()],
                Arrays.copyOfRange(area.array(), 256, area.limit()), "clean array: no bits");
    }
}
