package io.raid5d.bitmap;

import io.raid5d.bitmap.TestBitmaps.FakeClock;
import io.raid5d.bitmap.format.BitmapBits;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapReport;
import io.raid5d.bitmap.format.BitmapSuperblock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.raid5d.bitmap.TestBitmaps.CHUNKS;
import static io.raid5d.bitmap.TestBitmaps.FIRST_CHUNK_OF_PAGE_1;
import static io.raid5d.bitmap.TestBitmaps.sector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bitmap file: md's layout, locked while in use, read back by us and by mdadm 4.2's -X. */
class FileBitmapStoreTest {
    @TempDir
    Path tmp;

    private static BitmapOpenOptions options() {
        return TestBitmaps.options(new FakeClock(), Runnable::run);
    }

    @Test
    void createdFileHoldsTheHeaderAndAllBitsSetOrClear() throws Exception {
        Path set = tmp.resolve("set.bitmap");
        FileBitmapStore.create(set, TestBitmaps.header(), true).close();
        byte[] bytes = Files.readAllBytes(set);
        assertEquals((256 + CHUNKS / 8 + 511) / 512 * 512, bytes.length, "whole sectors");
        ByteBuffer all = ByteBuffer.wrap(bytes);
        assertEquals(TestBitmaps.header(), BitmapSuperblock.decode(all));
        assertEquals(CHUNKS, BitmapBits.countDirty(all.duplicate().position(256), CHUNKS));
        assertEquals(0, bytes[256 + (int) (CHUNKS / 8)], "no bits past the last chunk");

        Path clear = tmp.resolve("clear.bitmap");
        FileBitmapStore.create(clear, TestBitmaps.header(), false).close();
        assertEquals(0, BitmapBits.countDirty(ByteBuffer.wrap(Files.readAllBytes(clear)).position(256), CHUNKS));
        IOException exists = assertThrows(IOException.class, () -> FileBitmapStore.create(clear, TestBitmaps.header(), false));
        assertEquals(clear + ": bitmap file already exists", exists.getMessage());
    }

    @Test
    void roundTripThroughTheFile() throws Exception {
        Path file = tmp.resolve("rt.bitmap");
        WriteIntentBitmap bm = WriteIntentBitmap.open(FileBitmapStore.create(file, TestBitmaps.header(), false), options());
        bm.startWrite(sector(4), 8);
        bm.startWrite(sector(FIRST_CHUNK_OF_PAGE_1 + 1), 8);
        bm.unplug().join();
        bm.setEvents(TestBitmaps.EVENTS + 1);
        bm.endWrite(sector(4), 8, true, false);
        bm.endWrite(sector(FIRST_CHUNK_OF_PAGE_1 + 1), 8, false, false);
        bm.close();

        WriteIntentBitmap again = WriteIntentBitmap.open(FileBitmapStore.open(file),
                options().arrayEvents(TestBitmaps.EVENTS + 1).resyncOffset(0));
        assertEquals(TestBitmaps.EVENTS + 1, again.header().getEvents());
        assertEquals(2, again.setBitCount());
        assertEquals(4, again.nextSyncChunk(0));
        assertEquals(FIRST_CHUNK_OF_PAGE_1 + 1, again.nextSyncChunk(5));
        assertEquals(2, again.clearIdleBits(), "NEEDED bits (resync_offset 0) are not cleared");
        again.close();
    }

    @Test
    void aFileInUseIsRefusedUntilClosed() throws Exception {
        Path file = tmp.resolve("busy.bitmap");
        FileBitmapStore first = FileBitmapStore.create(file, TestBitmaps.header(), false);
        IOException busy = assertThrows(IOException.class, () -> FileBitmapStore.open(file));
        assertEquals(file + ": bitmap file is busy (already open in this process)", busy.getMessage());
        first.close();
        FileBitmapStore.open(file).close();
        IOException missing = assertThrows(IOException.class, () -> FileBitmapStore.open(tmp.resolve("none")));
        assertTrue(missing.getMessage().endsWith("none: no such bitmap file"), missing.getMessage());
    }

    @Test
    void aFileLockedByAnotherProcessIsRefused() throws Exception {
        Path file = tmp.resolve("other.bitmap");
        FileBitmapStore.create(file, TestBitmaps.header(), false).close();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            IOException busy = assertThrows(IOException.class, () -> FileBitmapStore.open(file));
            assertEquals(file + ": bitmap file is busy (locked by another process)", busy.getMessage());
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(60, TimeUnit.SECONDS), "lock holder exits when its stdin closes");
        }
        assertEquals(0, holder.exitValue());
        FileBitmapStore.open(file).close();
    }

    @Test
    void aShortOrForeignFileIsRefused() throws Exception {
        Path shortFile = tmp.resolve("short.bitmap");
        Files.write(shortFile, TestBitmaps.header().encode().array());
        try (FileBitmapStore store = FileBitmapStore.open(shortFile)) {
            BitmapFormatException e = assertThrows(BitmapFormatException.class, store::readArea);
            assertTrue(e.getMessage().startsWith(shortFile + ": bitmap file too short: 256 < 5256"), e.getMessage());
        }
        Path zero = tmp.resolve("zero.bitmap");
        Files.write(zero, new byte[4096]);
        try (FileBitmapStore store = FileBitmapStore.open(zero)) {
            BitmapFormatException e = assertThrows(BitmapFormatException.class, store::readArea);
            assertTrue(e.getMessage().startsWith(zero + ": no md bitmap"), e.getMessage());
        }
    }

    @Test
    void mdadmReadsOurBitmapFileAsWeDo() throws Exception {
        Path file = tmp.resolve("mdadm.bitmap");
        BitmapSuperblock h = FileBitmapStore.newHeader(TestBitmaps.UUID, 48L * 1024 * 2, 64 * 1024, 5, 7);
        WriteIntentBitmap bm = WriteIntentBitmap.open(FileBitmapStore.create(file, h, false),
                new BitmapOpenOptions().arrayUuid(TestBitmaps.UUID).arrayEvents(7));
        long chunkSectors = bm.chunkSectors();
        for (long c : new long[] {0, 1, 5, 700, 767}) {
            bm.startWrite(c * chunkSectors, 1);
        }
        bm.unplug().join();
        bm.setEvents(9);

        String mdadm = Tools.check("mdadm", "-X", file.toString());
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
        BitmapSuperblock onDisk = BitmapSuperblock.decode(all);
        assertEquals(mdadm, BitmapReport.format(file.toString(), onDisk, all.duplicate().position(256)));
        assertEquals(mdadm, bm.report(file.toString()));
        assertTrue(mdadm.contains("          Events : 9\n"), mdadm);
        assertTrue(mdadm.contains("          Bitmap : 768 bits (chunks), 5 dirty (0.7%)\n"), mdadm);
        for (long c : new long[] {0, 1, 5, 700, 767}) {
            bm.endWrite(c * chunkSectors, 1, true, false);
        }
        assertEquals(0, bm.clearIdleBits());
        String cleared = Tools.check("mdadm", "-X", file.toString());
        assertTrue(cleared.contains("          Bitmap : 768 bits (chunks), 0 dirty (0.0%)\n"), cleared);
        assertTrue(cleared.contains("  Events Cleared : 9\n"), cleared);
        bm.close();
    }
}
