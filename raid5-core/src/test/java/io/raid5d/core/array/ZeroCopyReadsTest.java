package io.raid5d.core.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.core.member.FileRange;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Array reads as member file ranges (issue #16): the ranges hold exactly the array's bytes, in
 * order, one per chunk touched; and there are none where a copying read is needed: a degraded
 * array, members that bypass the page cache, bytes not in the page cache, wrapped members,
 * members on a disk file system.
 */
class ZeroCopyReadsTest {
    private static final int CHUNK = 64 * 1024;
    private static final long MEMBER_BYTES = 4L << 20;

    /** Members in tmpfs: the only place ranges are named for (see ZeroCopyReads). */
    private Path shm;

    @BeforeEach
    void makeShm() throws Exception {
        shm = Files.createTempDirectory(Path.of("/dev/shm"), "zero-copy-test");
    }

    @AfterEach
    void removeShm() throws Exception {
        try (var files = Files.walk(shm)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Raid5Array assemble(Path dir, String name, DirectIoMode direct, boolean wrapped) throws Exception {
        List<Path> paths = TestArrays.create(dir, name, 4, CHUNK, MEMBER_BYTES);
        List<MemberDevice> open = new ArrayList<>();
        for (Path p : paths) {
            MemberDevice d = MemberDevices.open(p, false, direct);
            open.add(wrapped ? new FaultInjectingMemberDevice(d) : d);
        }
        return ArrayAssembler.assembleDevices(name, open, ArrayOptions.defaults().withDirectIo(direct));
    }

    private static byte[] fromRanges(List<FileRange> ranges) throws Exception {
        int total = ranges.stream().mapToInt(FileRange::length).sum();
        ByteBuffer all = ByteBuffer.allocate(total);
        for (FileRange r : ranges) {
            ByteBuffer part = ByteBuffer.allocate(r.length());
            while (part.hasRemaining()) {
                int n = r.file().read(part, r.position() + part.position());
                assertTrue(n > 0, "range past the end of its file: " + r);
            }
            all.put(part.flip());
        }
        return all.array();
    }

    @Test
    void rangesHoldTheArrayBytesInOrderOnePerChunk() throws Exception {
        try (Raid5Array array = assemble(shm, "zc", DirectIoMode.OFF, false)) {
            byte[] data = new byte[(int) Math.min(array.sizeBytes(), 2 << 20)];
            new Random(16).nextBytes(data);
            array.write(0, ByteBuffer.wrap(data), false).join();
            Random r = new Random(7);
            for (int trial = 0; trial < 200; trial++) {
                int length = 1 + r.nextInt(trial % 2 == 0 ? 4096 : 600_000);
                long offset = r.nextInt(data.length - length);
                List<FileRange> ranges = array.fileRanges(offset, length);
                assertNotNull(ranges, "a healthy, buffered, cached array names its files");
                long chunks = (offset + length - 1) / CHUNK - offset / CHUNK + 1;
                assertEquals(chunks, ranges.size(), "one range per chunk touched");
                byte[] want = new byte[length];
                System.arraycopy(data, (int) offset, want, 0, length);
                assertArrayEquals(want, fromRanges(ranges), "offset " + offset + " length " + length);

                ByteBuffer now = ByteBuffer.allocateDirect(length + 10).position(5).limit(5 + length);
                assertTrue(array.readNow(offset, now), "read on the caller's thread from the page cache");
                assertEquals(5, now.position(), "the caller's position is not moved");
                byte[] got = new byte[length];
                now.get(got);
                assertArrayEquals(want, got, "readNow at offset " + offset + " length " + length);
            }
        }
    }

    /**
     * Writes racing in the same rows (8 threads, each owning every 8th page, so every stripe
     * pass shares rows with the others'): a read from the member files right after a write
     * completed returns that write, never an older page a neighbour's pass wrote back.
     */
    @RepeatedTest(3)
    void aCompletedWriteIsInTheMemberFilesWhileNeighboursWrite() throws Exception {
        try (Raid5Array array = assemble(shm, "race", DirectIoMode.OFF, false)) {
            int pages = (int) Math.min(array.sizeBytes() / 4096, 512);
            array.write(0, ByteBuffer.allocateDirect(pages * 4096), false).join(); // all in the page cache
            int threads = 8;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger checked = new AtomicInteger();
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                all.add(new Thread(() -> {
                    Random r = new Random(me);
                    try {
                        for (int i = 0; i < 150 && failure.get() == null; i++) {
                            long page = (long) r.nextInt(pages / threads) * threads + me;
                            byte[] data = new byte[4096];
                            r.nextBytes(data);
                            array.write(page * 4096, ByteBuffer.wrap(data), false).join();
                            ByteBuffer now = ByteBuffer.allocateDirect(4096);
                            if (array.readNow(page * 4096, now)) {
                                byte[] got = new byte[4096];
                                now.get(got);
                                assertArrayEquals(data, got, "readNow of page " + page + ", iteration " + i);
                                checked.incrementAndGet();
                            }
                            List<FileRange> ranges = array.fileRanges(page * 4096, 4096);
                            if (ranges != null) {
                                assertArrayEquals(data, fromRanges(ranges), "file range of page " + page + ", iteration " + i);
                                checked.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            all.forEach(Thread::start);
            for (Thread th : all) {
                th.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(2 * threads * 150, checked.get(), "every read after a write went from the member files");
        }
    }

    /**
     * On a disk file system a cached page may be one whose read failed, and reading it again
     * waits on the disk: no ranges (a server could not report the error after its header) and
     * no reads on the caller's thread (an event loop must not wait out a disk's timeouts).
     */
    @Test
    void diskBackedMembersAreReadTheUsualWay(@TempDir Path dir) throws Exception {
        assertTrue(!Files.getFileStore(dir).type().equals("tmpfs"), "this test needs a disk file system: " + dir);
        try (Raid5Array array = assemble(dir, "disk", DirectIoMode.OFF, false)) {
            byte[] data = new byte[256 << 10];
            new Random(3).nextBytes(data);
            array.write(0, ByteBuffer.wrap(data), false).join();
            assertNull(array.fileRanges(0, data.length));
            assertTrue(!array.readNow(0, ByteBuffer.allocate(4096)));
            ByteBuffer read = ByteBuffer.allocate(data.length);
            array.read(0, read).join();
            assertArrayEquals(data, read.array());
        }
    }

    @Test
    void noRangesOnceDegraded() throws Exception {
        try (Raid5Array array = assemble(shm, "deg", DirectIoMode.OFF, false)) {
            byte[] data = new byte[1 << 20];
            new Random(1).nextBytes(data);
            array.write(0, ByteBuffer.wrap(data), false).join();
            assertNotNull(array.fileRanges(0, 1 << 20));
            array.failMember(shm.resolve("deg1.img").toString());
            assertNull(array.fileRanges(0, 1 << 20), "a degraded array computes lost pages: no ranges");
            assertNull(array.fileRanges(0, 4096), "not even for pages on survivors");
            assertTrue(!array.readNow(0, ByteBuffer.allocate(4096)), "a degraded read goes through the engine");
        }
    }

    @Test
    void noRangesForUncachedBytesDirectMembersOrWrappedMembers() throws Exception {
        Path dir = shm;
        try (Raid5Array array = assemble(dir, "hole", DirectIoMode.OFF, false)) {
            // never written: a hole in each member file, so nothing is in the page cache
            assertNull(array.fileRanges(array.sizeBytes() - (256 << 10), 256 << 10));
            assertTrue(!array.readNow(array.sizeBytes() - 4096, ByteBuffer.allocate(4096)), "it would wait on a disk");
        }
        try (Raid5Array array = assemble(dir, "dio", DirectIoMode.ON, false)) {
            array.write(0, ByteBuffer.allocateDirect(1 << 20), false).join();
            assertNull(array.fileRanges(0, 1 << 20), "O_DIRECT members keep nothing in the page cache to send");
        }
        try (Raid5Array array = assemble(dir, "wrap", DirectIoMode.OFF, true)) {
            array.write(0, ByteBuffer.allocateDirect(1 << 20), false).join();
            assertNull(array.fileRanges(0, 1 << 20), "a wrapper (fault injection) must see every read");
            assertTrue(!array.readNow(0, ByteBuffer.allocate(4096)), "a wrapper (fault injection) must see every read");
        }
    }
}
