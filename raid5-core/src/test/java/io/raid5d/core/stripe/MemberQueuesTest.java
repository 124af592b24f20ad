package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The member queues merge what waits: page requests queued while a member is busy reach it as
 * one vectored request per adjacent run, each page gets its own outcome, and a failed merged
 * request is retried page by page so only the bad page fails.
 */
class MemberQueuesTest {
    private static final int PAGE = 4096;
    private static final int PAGES = 256;

    /** An in-memory member that records each device call (offset, length, buffers) and can hold the first one. */
    private static final class RecordingDevice implements MemberDevice {
        final byte[] bytes = new byte[PAGES * PAGE * 2];
        final List<long[]> calls = new CopyOnWriteArrayList<>(); // {offset, length, buffers, write ? 1 : 0}
        final CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch gate = new CountDownLatch(0);
        final ConcurrentHashMap<Long, Boolean> badPages = new ConcurrentHashMap<>();

        @Override
        public String path() {
            return "mem";
        }

        @Override
        public long sizeBytes() {
            return bytes.length;
        }

        @Override
        public boolean isBlockDevice() {
            return false;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        private void enter(long offset, long length, int buffers, boolean write) throws IOException {
            calls.add(new long[] {offset, length, buffers, write ? 1 : 0});
            entered.countDown();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (long p = offset / PAGE; p < (offset + length) / PAGE; p++) {
                if (badPages.containsKey(p)) {
                    throw new IOException("bad page " + p);
                }
            }
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
            enter(offset, total(dsts), dsts.length, false);
            int at = (int) offset;
            for (ByteBuffer b : dsts) {
                int n = b.remaining();
                synchronized (bytes) {
                    b.put(bytes, at, n);
                }
                at += n;
            }
        }

        @Override
        public void write(long offset, ByteBuffer[] srcs) throws IOException {
            enter(offset, total(srcs), srcs.length, true);
            int at = (int) offset;
            for (ByteBuffer b : srcs) {
                int n = b.remaining();
                synchronized (bytes) {
                    b.get(bytes, at, n);
                }
                at += n;
            }
        }

        private static long total(ByteBuffer[] bufs) {
            long n = 0;
            for (ByteBuffer b : bufs) {
                n += b.remaining();
            }
            return n;
        }

        @Override
        public void sync() {
        }

        @Override
        public void close() {
        }
    }

    private final RecordingDevice[] devices = new RecordingDevice[3];
    private MemberIo io;
    private MemberQueues queues;

    private MemberQueues queues(int depth, int threads) {
        Geometry g = Geometry.of(3, 128, Layout.LEFT_SYMMETRIC, 1024);
        List<MemberDevice> list = new ArrayList<>();
        for (int i = 0; i < devices.length; i++) {
            devices[i] = new RecordingDevice();
            list.add(devices[i]);
        }
        MemberSet members = new MemberSet(g, list, new long[3]);
        io = new MemberIo("q", threads);
        StripeMetrics metrics = new StripeMetrics(new SimpleMeterRegistry(), "q", new StripeCache(g, 32));
        queues = new MemberQueues(io, members, metrics, depth);
        return queues;
    }

    @AfterEach
    void stop() {
        if (io != null) {
            for (RecordingDevice d : devices) {
                d.gate.countDown();
            }
            io.shutdownAndDrain();
        }
    }

    private static ByteBuffer page(int fill) {
        ByteBuffer b = ByteBuffer.allocateDirect(PAGE);
        for (int i = 0; i < PAGE; i++) {
            b.put(i, (byte) (fill + i / 512));
        }
        return b;
    }

    /** Writes every page (shuffled) while the member is held busy; they reach it merged into 1 MiB runs. */
    @RepeatedTest(5)
    void queuedAdjacentWritesReachTheMemberAsFewLargeRequests() throws Exception {
        queues(1, 2);
        RecordingDevice d = devices[0];
        d.gate = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(PAGES + 1);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        MemberQueues.Done count = e -> {
            if (e != null) {
                errors.add(e);
            }
            done.countDown();
        };
        // a first request keeps the member's only dispatcher busy while the rest queue up
        queues.write(0, PAGES * PAGE, page(99), count);
        assertTrue(d.entered.await(10, TimeUnit.SECONDS));
        List<Integer> order = new ArrayList<>();
        for (int p = 0; p < PAGES; p++) {
            order.add(p);
        }
        Collections.shuffle(order, new Random(7));
        for (int p : order) {
            queues.write(0, (long) p * PAGE, page(p), count);
        }
        d.gate.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(List.of(), errors);
        // after the first call, 256 pages of 4 KiB = 1 MiB: exactly one merged request
        assertEquals(2, d.calls.size(), "calls: " + describe(d.calls));
        long[] merged = d.calls.get(1);
        assertArrayEquals(new long[] {0, PAGES * PAGE, PAGES, 1}, merged);
        for (int p = 0; p < PAGES; p++) {
            assertEquals((byte) (p + 3), d.bytes[p * PAGE + 3 * 512 + 1], "page " + p + " landed where it belongs");
        }
    }

    /** md's plug: a worker's requests are held until it unplugs, then leave merged (no busy member needed). */
    @Test
    void aPluggedThreadsRequestsLeaveTogetherMerged() throws Exception {
        queues(MemberQueues.QUEUE_DEPTH, 4);
        CountDownLatch done = new CountDownLatch(3 * 64);
        queues.plug();
        for (int p = 63; p >= 0; p--) { // in reverse: merging is by address, not by arrival
            MemberQueues.Group g = queues.group();
            for (int m = 0; m < 3; m++) {
                g.write(m, (long) p * PAGE, page(p), e -> done.countDown());
            }
            g.submit();
        }
        Thread.sleep(50);
        for (RecordingDevice d : devices) {
            assertEquals(0, d.calls.size(), "nothing leaves while plugged");
        }
        queues.unplug();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        for (RecordingDevice d : devices) {
            assertEquals(1, d.calls.size(), "one request per member: " + describe(d.calls));
            assertArrayEquals(new long[] {0, 64 * PAGE, 64, 1}, d.calls.get(0));
        }
    }

    /** Reads and writes do not merge with each other; runs stop at gaps and at 1 MiB. */
    @Test
    void runsStopAtGapsKindsAndTheSizeLimit() throws Exception {
        queues(1, 2);
        RecordingDevice d = devices[1];
        d.gate = new CountDownLatch(1);
        int requests = 1 + 10 + 10 + (PAGES + 8);
        CountDownLatch done = new CountDownLatch(requests);
        MemberQueues.Done count = e -> done.countDown();
        queues.read(1, (long) PAGES * PAGE * 2 - PAGE, ByteBuffer.allocateDirect(PAGE), count);
        assertTrue(d.entered.await(10, TimeUnit.SECONDS));
        for (int p = 0; p < 10; p++) {
            queues.read(1, (long) p * PAGE, ByteBuffer.allocateDirect(PAGE), count); // pages 0-9: one read
        }
        for (int p = 10; p < 20; p++) {
            queues.write(1, (long) p * PAGE, page(p), count); // pages 10-19: one write, not merged with the reads
        }
        for (int p = 21; p < 21 + PAGES + 8; p++) {
            queues.write(1, (long) p * PAGE, page(p), count); // after a gap: 1 MiB, then the rest
        }
        d.gate.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        List<String> seen = new ArrayList<>();
        for (long[] c : d.calls.subList(1, d.calls.size())) {
            seen.add((c[3] == 1 ? "W" : "R") + c[0] / PAGE + "+" + c[1] / PAGE);
        }
        Collections.sort(seen);
        assertEquals(List.of("R0+10", "W10+10", "W21+256", "W277+8"), seen);
    }

    /** One bad page in a merged read: the run is retried page by page and only that page fails. */
    @Test
    void aFailedMergedRequestFailsOnlyTheBadPage() throws Exception {
        queues(1, 2);
        RecordingDevice d = devices[2];
        d.gate = new CountDownLatch(1);
        d.badPages.put(5L, true);
        ConcurrentHashMap<Integer, Throwable> outcome = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(11);
        queues.read(2, 100L * PAGE, ByteBuffer.allocateDirect(PAGE), e -> done.countDown());
        assertTrue(d.entered.await(10, TimeUnit.SECONDS));
        List<ByteBuffer> bufs = new ArrayList<>();
        for (int p = 0; p < 10; p++) {
            int page = p;
            ByteBuffer b = ByteBuffer.allocateDirect(PAGE);
            bufs.add(b);
            queues.read(2, (long) p * PAGE, b, e -> {
                outcome.put(page, e == null ? new Exception("ok") : e);
                done.countDown();
            });
        }
        d.gate.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        for (int p = 0; p < 10; p++) {
            Throwable t = outcome.get(p);
            if (p == 5) {
                assertInstanceOf(IOException.class, t);
            } else {
                assertEquals("ok", t.getMessage(), "page " + p);
                assertEquals(PAGE, bufs.get(p).position(), "page " + p + " read whole once");
            }
        }
        // the held read, one merged attempt of 10, then 10 single retries
        assertEquals(12, d.calls.size(), describe(d.calls));
    }

    /** Many threads submitting to every member at once, alone or in groups: every request completes exactly once, with its own bytes. */
    @RepeatedTest(3)
    void concurrentSubmittersEachGetTheirOwnOutcomeOnce() throws Exception {
        queues(MemberQueues.QUEUE_DEPTH, 8);
        int threads = 8;
        int perThread = 96; // pages 0..767 over 3 members, disjoint per thread
        ConcurrentHashMap<String, Integer> completions = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(threads * perThread);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(new Thread(() -> {
                // odd threads submit a pass's three writes as one group, as the engine does
                MemberQueues.Group group = null;
                for (int i = 0; i < perThread; i++) {
                    int n = id * perThread + i;
                    int member = n % 3;
                    long page = n / 3;
                    String key = member + ":" + page;
                    MemberQueues.Done d = e -> {
                        assertNull(e);
                        completions.merge(key, 1, Integer::sum);
                        done.countDown();
                    };
                    if (id % 2 == 0) {
                        queues.write(member, page * PAGE, page((int) page), d);
                        continue;
                    }
                    if (group == null) {
                        group = queues.group();
                    }
                    group.write(member, page * PAGE, page((int) page), d);
                    if (member == 2) {
                        group.submit();
                        group = null;
                    }
                }
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(threads * perThread, completions.size());
        assertTrue(completions.values().stream().allMatch(v -> v == 1), "each request completed once");
        for (int member = 0; member < 3; member++) {
            for (int page = 0; page < threads * perThread / 3; page++) {
                assertEquals((byte) (page + 2), devices[member].bytes[page * PAGE + 2 * 512], "member " + member + " page " + page);
            }
        }
    }

    private static String describe(List<long[]> calls) {
        StringBuilder b = new StringBuilder();
        for (long[] c : calls) {
            b.append(c[3] == 1 ? " W" : " R").append(c[0] / PAGE).append('+').append(c[1] / PAGE);
        }
        return b.toString();
    }
}
