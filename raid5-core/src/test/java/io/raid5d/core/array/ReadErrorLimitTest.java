package io.raid5d.core.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * md's read error limit (max_corrected_read_errors, 20 by default): read errors are repaired
 * by rewriting the reconstructed block until a member has had more than the limit, counted with
 * md's decay (halved for every hour without an error); then the member is failed, and every read
 * still returns the right bytes.
 */
class ReadErrorLimitTest {
    private static final int CHUNK = 16 * 1024;
    private static final long HOUR = 3600L * 1_000_000_000L;

    @Test
    void countsDecayByHalfForEveryHourWithoutAnError() {
        AtomicLong now = new AtomicLong(5 * HOUR);
        ReadErrorLimit limit = new ReadErrorLimit(20, now::get);
        MemberDevice dev = new FaultInjectingMemberDevice(null);
        for (int i = 1; i <= 20; i++) {
            assertEquals(i, limit.record(dev));
        }
        now.addAndGet(HOUR - 1);
        assertEquals(21, limit.record(dev), "less than an hour: no decay");
        now.addAndGet(HOUR);
        assertEquals(11, limit.record(dev), "an hour: halved, then counted");
        now.addAndGet(3 * HOUR);
        assertEquals(2, limit.record(dev), "three hours: 11 >> 3 = 1, then counted");
        now.addAndGet(100 * HOUR);
        assertEquals(1, limit.record(dev), "long quiet: from zero");
        assertEquals(1, limit.record(new FaultInjectingMemberDevice(null)), "counts belong to the device");
    }

    private static final class Rig implements AutoCloseable {
        final List<FaultInjectingMemberDevice> devs = new ArrayList<>();
        final Raid5Array array;

        Rig(Path dir, String name, ArrayOptions options) throws Exception {
            List<Path> paths = TestArrays.create(dir, name, 4, CHUNK, 2L << 20);
            List<MemberDevice> open = new ArrayList<>();
            for (Path p : paths) {
                FaultInjectingMemberDevice f = new FaultInjectingMemberDevice(MemberDevices.open(p, false));
                devs.add(f);
                open.add(f);
            }
            RecordingWriteIntentLog log = new RecordingWriteIntentLog();
            array = ArrayAssembler.assembleDevices(name, open, options.withStripeCacheSize(17).withIoThreads(2)
                    .withWriteIntentLog((m, s) -> log));
        }

        @Override
        public void close() throws Exception {
            array.close();
        }
    }

    /** A member failing 10% of its reads: repaired 20 times, then failed; every read right. */
    @Test
    void aMemberThatKeepsFailingReadsIsFailedPastTheLimit(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "rate", ArrayOptions.defaults())) {
            byte[] data = new byte[(int) rig.array.sizeBytes()];
            new Random(5).nextBytes(data);
            rig.array.write(0, ByteBuffer.wrap(data), false).join();
            rig.array.flush().join();
            FaultInjectingMemberDevice bad = rig.devs.get(1);
            bad.failReadsAtRate(0.10);
            for (int pass = 0; pass < 20 && rig.array.members().slot(1) == MemberSet.Slot.IN_SYNC; pass++) {
                for (int off = 0; off < data.length; off += 4096) {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    rig.array.read(off, b).join();
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, off, off + 4096), b.array(), "offset " + off);
                }
                rig.array.setStripeCacheSize(18); // nothing cached: reads go to the members again
                rig.array.setStripeCacheSize(17);
            }
            assertEquals(MemberSet.Slot.FAULTY, rig.array.members().slot(1), "failed once past md's limit");
            int corrected = rig.array.health().correctedReads().get(1);
            assertEquals(ArrayOptions.DEFAULT_MAX_READ_ERRORS, corrected, "repaired exactly up to the limit");
            System.out.printf("read error limit: %d reads repaired, then %s was failed (%d injected errors)%n",
                    corrected, bad.path(), bad.injectedFailures());
            ByteBuffer all = ByteBuffer.allocate(data.length);
            rig.array.read(0, all).join();
            assertArrayEquals(data, all.array(), "degraded now, the same bytes");
        }
    }

    /** Errors by offset: a limit of 2 lets two bad blocks be repaired; the third error fails the member. */
    @Test
    void theLimitIsConfigurable(@TempDir Path dir) throws Exception {
        try (Rig rig = new Rig(dir, "off", ArrayOptions.defaults().withMaxReadErrors(2))) {
            byte[] data = new byte[(int) rig.array.sizeBytes()];
            new Random(6).nextBytes(data);
            rig.array.write(0, ByteBuffer.wrap(data), false).join();
            rig.array.flush().join();
            int member = rig.array.geometry().dataMember(0, 0);
            FaultInjectingMemberDevice bad = rig.devs.get(member);
            for (int block = 0; block < 3; block++) {
                long at = rig.array.members().rowAddress(member, block) ;
                bad.failReads(at, at + 4096); // the first page of its chunk in rows 0, 1, 2
            }
            long rowBytes = (long) CHUNK * 3;
            for (int block = 0; block < 3; block++) {
                assertEquals(MemberSet.Slot.IN_SYNC, rig.array.members().slot(member), "before error " + (block + 1));
                rig.array.setStripeCacheSize(18);
                rig.array.setStripeCacheSize(17);
                long off = block * rowBytes + (long) rig.array.geometry().dataIndexOf(block, member) * CHUNK;
                ByteBuffer b = ByteBuffer.allocate(4096);
                rig.array.read(off, b).join();
                assertArrayEquals(java.util.Arrays.copyOfRange(data, (int) off, (int) off + 4096), b.array());
            }
            assertEquals(MemberSet.Slot.FAULTY, rig.array.members().slot(member), "the third error is one too many");
            assertEquals(2, rig.array.health().correctedReads().get(member));
            assertTrue(bad.injectedFailures() >= 3);
        }
    }
}
