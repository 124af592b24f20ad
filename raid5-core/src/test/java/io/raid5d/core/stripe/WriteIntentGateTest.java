package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.intent.testing.RecordingWriteIntentLog;
import org.junit.jupiter.api.Test;

/**
 * The one owner of a write pass's intent: begin (startWrite) sets the head's batch, settled
 * follows the log, end (endWrite) happens exactly once per begin; unbalanced calls throw
 * before they reach the log.
 */
class WriteIntentGateTest {
    private static StripeHead head(long key) {
        StripeHead h = new StripeHead(4, StripeEngine.PAGE);
        h.key = key;
        return h;
    }

    private static WriteIntentGate gate(RecordingWriteIntentLog log) {
        log.onBatchWritten(() -> { });
        StripeCache cache = new StripeCache(Geometry.of(4, 128, Layout.LEFT_SYMMETRIC, 4096), 32);
        return new WriteIntentGate(log, new UnplugPolicy("t", cache, log, 0));
    }

    private static long ends(RecordingWriteIntentLog log) {
        return log.count("end") + log.count("end-failed");
    }

    @Test
    void beginSettledEndOncePerPass() {
        RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        log.hold(true); // batches are not durable until released
        WriteIntentGate gate = gate(log);
        StripeHead h = head(7);
        gate.begin(h);
        assertEquals(1, gate.openPasses());
        assertEquals(h.bmSeq, log.calls().get(0).seq(), "the head carries the batch startWrite gave it");
        assertEquals(7 * StripeEngine.PAGE_SECTORS, log.calls().get(0).memberSector());
        assertFalse(gate.settled(h), "held batch: no member write yet");
        log.hold(false);
        log.unplug();
        assertTrue(gate.settled(h));
        gate.end(h, true, false);
        assertEquals(0, gate.openPasses());
        assertEquals(0, log.outstanding());
        assertEquals(1, ends(log));
    }

    @Test
    void unbalancedCallsThrowBeforeReachingTheLog() {
        RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        WriteIntentGate gate = gate(log);
        StripeHead h = head(3);
        IllegalStateException noBegin = assertThrows(IllegalStateException.class, () -> gate.end(h, true, false));
        assertTrue(noBegin.getMessage().contains("endWrite without startWrite"), noBegin.getMessage());
        gate.begin(h);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> gate.begin(h));
        assertTrue(twice.getMessage().contains("startWrite twice"), twice.getMessage());
        assertEquals(1, log.count("start"), "the second begin never reached the log");
        gate.end(h, false, true);
        assertThrows(IllegalStateException.class, () -> gate.end(h, false, true));
        assertEquals(1, ends(log));
        assertEquals(0, log.unbalancedEnds());
    }

    @Test
    void aFailingPassEndsItsIntentOnlyIfItBegan() {
        RecordingWriteIntentLog log = new RecordingWriteIntentLog();
        WriteIntentGate gate = gate(log);
        StripeHead syncOnly = head(1);
        gate.endIfOpen(syncOnly, true);
        assertEquals(0, ends(log), "a sync pass has no intent to end");
        StripeHead write = head(2);
        gate.begin(write);
        gate.endIfOpen(write, true);
        gate.endIfOpen(write, true);
        assertEquals(1, ends(log));
        assertEquals(0, gate.openPasses());
    }
}
