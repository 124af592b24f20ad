package io.raid5d.core.intent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The switchable log: every write ends in the log that started it, an old log is closed exactly
 * once after its last write, the new log's daemon may start only then, nothing reaches a closed
 * log, and the steady-state engine calls allocate nothing.
 */
class SwitchableWriteIntentLogTest {

    /** A recording log that notices use after close and counts its closes. */
    private static final class Checked implements WriteIntentLog {
        final RecordingWriteIntentLog inner = new RecordingWriteIntentLog();
        final AtomicInteger closes = new AtomicInteger();
        final AtomicBoolean usedAfterClose = new AtomicBoolean();

        Checked() {
            inner.onBatchWritten(() -> { });
        }

        private void use() {
            if (closes.get() > 0) {
                usedAfterClose.set(true);
            }
        }

        @Override
        public long startWrite(long memberSector, long sectors) {
            use();
            return inner.startWrite(memberSector, sectors);
        }

        @Override
        public boolean isBatchWritten(long bmSeq) {
            use();
            return inner.isBatchWritten(bmSeq);
        }

        @Override
        public void onBatchWritten(Runnable listener) {
        }

        @Override
        public void unplug() {
            use();
            inner.unplug();
        }

        @Override
        public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
            use();
            inner.endWrite(memberSector, sectors, success, degraded);
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void aSwitchWithWritesInFlightWaitsForThemThenClosesTheOldLogAndStartsTheNewDaemon() throws Exception {
        Checked a = new Checked();
        Checked b = new Checked();
        SwitchableWriteIntentLog s = new SwitchableWriteIntentLog(a);
        long inA = s.startWrite(8, 8);
        AtomicInteger daemonStarts = new AtomicInteger();
        s.switchTo(b, daemonStarts::incrementAndGet);
        assertEquals(1, s.drainingLogs());
        assertEquals(0, daemonStarts.get(), "a write under the old bitmap is in flight: no bit may be cleared");
        long inB = s.startWrite(8, 8);
        s.unplug(); // reaches both: a stripe may wait on the old log's batch
        assertTrue(s.isBatchWritten(inA) && s.isBatchWritten(inB));
        assertEquals(1, a.inner.count("unplug"));
        s.endWrite(inB, 8, 8, true, false);
        assertEquals(0, b.inner.outstanding());
        assertEquals(0, a.closes.get());
        s.endWrite(inA, 8, 8, true, false);
        assertEquals(1, a.closes.get(), "closed by the thread that ended its last write");
        assertEquals(1, daemonStarts.get());
        assertEquals(0, s.drainingLogs());
        assertEquals(0, a.inner.outstanding());
        assertTrue(s.isBatchWritten(inA), "a closed log's batches count as written");
        s.close();
        assertEquals(1, a.closes.get());
        assertEquals(1, b.closes.get());
        assertFalse(a.usedAfterClose.get() || b.usedAfterClose.get());
        assertThrows(IllegalStateException.class, () -> s.startWrite(0, 8));
    }

    /** Writers and switches race; every log balances, closes once, and is never used after. */
    @RepeatedTest(5)
    void writersAndSwitchesRace() throws Exception {
        List<Checked> logs = new ArrayList<>();
        Checked first = new Checked();
        logs.add(first);
        SwitchableWriteIntentLog s = new SwitchableWriteIntentLog(first);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger daemonStarts = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(4);
        List<Thread> writers = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            long base = t * 1000L;
            Thread w = new Thread(() -> {
                started.countDown();
                long i = 0;
                try {
                    while (!stop.get()) {
                        long sector = (base + i++ % 100) * 8;
                        long seq = s.startWrite(sector, 8);
                        s.isBatchWritten(seq);
                        if (i % 7 == 0) {
                            s.unplug();
                        }
                        s.endWrite(seq, sector, 8, true, false);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            w.start();
            writers.add(w);
        }
        started.await();
        for (int k = 0; k < 50; k++) {
            Checked next = new Checked();
            logs.add(next);
            s.switchTo(next, daemonStarts::incrementAndGet);
            Thread.yield();
        }
        stop.set(true);
        for (Thread w : writers) {
            w.join();
        }
        assertTrue(errors.isEmpty(), errors.toString());
        s.awaitDrained();
        assertEquals(0, s.drainingLogs());
        assertTrue(daemonStarts.get() >= 1, "the newest daemon starts once the older logs drained");
        s.close();
        for (Checked c : logs) {
            assertEquals(1, c.closes.get(), "each log closed exactly once");
            assertFalse(c.usedAfterClose.get(), "no call reached a closed log");
            assertEquals(0, c.inner.outstanding(), "balanced");
            assertEquals(0, c.inner.unbalancedEnds());
        }
    }

    /** The engine's steady-state calls (no switch in progress) allocate nothing. */
    @Test
    void steadyStateCallsAllocateNothing() throws IOException {
        WriteIntentLog noAllocation = new AlwaysWrittenLog(); // counts with an AtomicLong: allocates nothing
        SwitchableWriteIntentLog s = new SwitchableWriteIntentLog(noAllocation);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        run(s, 200_000); // warm up
        long before = threads.getThreadAllocatedBytes(id);
        int ops = 1_000_000;
        run(s, ops);
        long bytes = threads.getThreadAllocatedBytes(id) - before;
        System.out.printf("switchable write-intent log: %d bytes allocated for %d start/isWritten/end/unplug rounds%n",
                bytes, ops);
        assertTrue(bytes < ops / 100, bytes + " bytes for " + ops + " rounds: the steady state must not allocate");
        s.close();
    }

    private static void run(SwitchableWriteIntentLog s, int ops) {
        for (int i = 0; i < ops; i++) {
            long seq = s.startWrite(i & 1023, 8);
            if (!s.isBatchWritten(seq)) {
                throw new AssertionError();
            }
            if ((i & 63) == 0) {
                s.unplug();
            }
            s.endWrite(seq, i & 1023, 8, true, false);
        }
    }
}
