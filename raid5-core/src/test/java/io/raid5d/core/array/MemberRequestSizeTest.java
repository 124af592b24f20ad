package io.raid5d.core.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.testing.ForwardingMemberDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Member requests as large as the layout allows (issue #15): on members that take a while per
 * request, as disks and cloud volumes do, a check sweep, a degraded read and many small
 * sequential writes reach each member in requests far larger than the engine's 4 KiB page,
 * because queued pages of neighbouring stripes merge. Page by page, a volume capped at a few
 * thousand IOPS would move a few MiB/s. (Measured here without merging: means of 4.6 KiB for the
 * writes, 4 KiB for the check, 5.3 KiB for the degraded read; with it 14-36 KiB -- write passes
 * merge only behind a busy member, they are not plugged --, 290 KiB, 100 KiB.)
 */
class MemberRequestSizeTest {
    private static final int N = 4;
    private static final int CHUNK = 64 << 10;
    private static final long USED = 8L << 20;

    /** Sleeps per device call (a disk's service time) and counts calls and bytes by direction. */
    static final class SlowMember extends ForwardingMemberDevice {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong readBytes = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong writeBytes = new AtomicLong();

        SlowMember(MemberDevice delegate) {
            super(delegate);
        }

        private static void serviceTime() {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static long remaining(ByteBuffer[] bufs) {
            long n = 0;
            for (ByteBuffer b : bufs) {
                n += b.remaining();
            }
            return n;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            read(offset, new ByteBuffer[] {dst});
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            write(offset, new ByteBuffer[] {src});
        }

        @Override
        public void read(long offset, ByteBuffer[] dsts) throws IOException {
            reads.incrementAndGet();
            readBytes.addAndGet(remaining(dsts));
            serviceTime();
            delegate.read(offset, dsts);
        }

        @Override
        public void write(long offset, ByteBuffer[] srcs) throws IOException {
            writes.incrementAndGet();
            writeBytes.addAndGet(remaining(srcs));
            serviceTime();
            delegate.write(offset, srcs);
        }

        void reset() {
            reads.set(0);
            readBytes.set(0);
            writes.set(0);
            writeBytes.set(0);
        }
    }

    private final List<SlowMember> slow = new ArrayList<>();

    private Raid5Array assemble(List<Path> paths) throws Exception {
        List<MemberDevice> devices = new ArrayList<>();
        for (Path p : paths) {
            SlowMember s = new SlowMember(MemberDevices.open(p, false));
            slow.add(s);
            devices.add(s);
        }
        return ArrayAssembler.assembleDevices("big", devices, ArrayOptions.defaults());
    }

    private long meanReadBytes() {
        long n = slow.stream().mapToLong(s -> s.reads.get()).sum();
        return n == 0 ? 0 : slow.stream().mapToLong(s -> s.readBytes.get()).sum() / n;
    }

    private long meanWriteBytes() {
        long n = slow.stream().mapToLong(s -> s.writes.get()).sum();
        return n == 0 ? 0 : slow.stream().mapToLong(s -> s.writeBytes.get()).sum() / n;
    }

    @Test
    void sweepsDegradedReadsAndSmallSequentialWritesUseLargeMemberRequests(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "big", N, CHUNK, USED);
        byte[] data = new byte[(int) (USED * (N - 1))];
        new Random(5).nextBytes(data);
        try (Raid5Array a = assemble(paths)) {
            // 4 KiB writes, 64 in flight, in order: the queues merge neighbouring stripes' writes
            int step = 4096;
            List<CompletableFuture<Void>> inFlight = new ArrayList<>();
            for (int at = 0; at < data.length; at += step) {
                inFlight.add(a.write(at, ByteBuffer.allocateDirect(step).put(data, at, step).flip(), false));
                if (inFlight.size() == 64) {
                    inFlight.remove(0).join();
                }
            }
            inFlight.forEach(CompletableFuture::join);
            long writeMean = meanWriteBytes();
            assertTrue(writeMean >= 12 << 10, "small sequential writes reach members in large requests: mean " + writeMean + " bytes");

            slow.forEach(SlowMember::reset);
            a.startScrub(false);
            a.awaitScrub();
            assertEquals(0, a.mismatchCount());
            long checkMean = meanReadBytes();
            assertTrue(checkMean >= 64 << 10, "a check sweep reads members in large requests: mean " + checkMean + " bytes");

            a.failMember(paths.get(1).toString());
            slow.forEach(SlowMember::reset);
            ByteBuffer back = ByteBuffer.allocateDirect(data.length);
            List<CompletableFuture<Void>> reads = new ArrayList<>();
            int part = 1 << 20;
            for (int at = 0; at < data.length; at += part) {
                reads.add(a.read(at, back.duplicate().position(at).limit(Math.min(data.length, at + part)).slice()));
            }
            reads.forEach(CompletableFuture::join);
            long degradedMean = meanReadBytes();
            assertTrue(degradedMean >= 32 << 10, "a degraded read reads the survivors in large requests: mean " + degradedMean + " bytes");
            long degradedBytes = slow.stream().mapToLong(s -> s.readBytes.get()).sum();
            // each survivor's page once: a stripe the read reconstructs is read through the cache only,
            // not also directly (that read 1.5 times the data)
            assertTrue(degradedBytes <= data.length * 11L / 10, "bytes read from members for " + data.length + ": " + degradedBytes);
            byte[] got = new byte[data.length];
            back.get(got);
            assertArrayEquals(data, got, "the degraded read returns every byte");
        }
    }
}
