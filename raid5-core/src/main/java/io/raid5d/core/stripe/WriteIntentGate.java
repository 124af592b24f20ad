package io.raid5d.core.stripe;

import io.raid5d.core.intent.WriteIntent;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-intent life of a write pass, in one place: {@link #begin} (startWrite: the pass's
 * bitmap batch), {@link #settled} (that batch is durable, so member writes may go), and
 * {@link #end} (endWrite, exactly once, after the pass's member writes or when it fails). md
 * learned that raid5 must never unbalance startWrite/endWrite (6.14 moved the calls into its
 * core for that); here every caller goes through this class and the balance is asserted per
 * head: beginning a head twice, or ending one that has not begun, is a bug and throws.
 *
 * <p>Ownership: {@code StripeHead.intentOpen} and {@code bmSeq} belong to the thread that owns
 * the head's pass (a worker, a batch, or the pass's I/O completion); {@link #settled} is called
 * under the engine lock and never blocks; {@link #begin} and {@link #end} run outside it.
 */
final class WriteIntentGate {
    private final WriteIntent log;
    private final UnplugPolicy unplug;
    private final AtomicLong open = new AtomicLong(); // passes begun and not ended
    /**
     * Per-device sectors [from, to) whose writes need no bit: the rows a grow's copy is writing,
     * which no client request reaches (the reshape window holds them) and which a resume after a
     * crash copies again (they lie past the recorded position). md's reshape writes set no bits
     * either; with them, the resync after a crashed grow would redo every row the copy touched.
     * Set by the copy's thread before it writes the rows, ended when the write completes; read by
     * pass owners.
     */
    private final java.util.concurrent.atomic.AtomicReference<long[]> noIntent =
            new java.util.concurrent.atomic.AtomicReference<>(new long[] {0, 0});

    WriteIntentGate(WriteIntent log, UnplugPolicy unplug) {
        this.log = log;
        this.unplug = unplug;
    }

    /** startWrite for the pass of {@code sh} (the caller owns it); sets its bitmap batch. May block. */
    void begin(StripeHead sh) {
        if (sh.intentOpen) {
            throw new IllegalStateException("stripe " + sh.key + ": startWrite twice for one write pass");
        }
        long sector = sh.key * StripeEngine.PAGE_SECTORS;
        long[] skip = noIntent.get();
        sh.intentSkipped = sector >= skip[0] && sector < skip[1];
        if (!sh.intentSkipped) {
            sh.bmSeq = log.startWrite(sector, StripeEngine.PAGE_SECTORS);
        }
        sh.intentOpen = true;
        open.incrementAndGet();
        unplug.writeStarted();
    }

    /** Whether the pass's bitmap batch is durable (member writes may be issued). Lock held; never blocks. */
    boolean settled(StripeHead sh) {
        return sh.intentSkipped || log.isBatchWritten(sh.bmSeq);
    }

    /** Writes to per-device sectors [from, to) set no bit from now on (a grow's copy; see {@code noIntent}); returns the token that ends it. */
    Object skipIntent(long from, long to) {
        long[] range = {from, to};
        noIntent.set(range);
        return range;
    }

    /** Ends the skip {@code token} began, unless a later one replaced it. */
    void endSkip(Object token) {
        noIntent.compareAndSet((long[]) token, new long[] {0, 0});
    }

    /** endWrite for the pass of {@code sh}, exactly once: {@code success} false when its writes failed. */
    void end(StripeHead sh, boolean success, boolean degraded) {
        if (!sh.intentOpen) {
            throw new IllegalStateException("stripe " + sh.key + ": endWrite without startWrite");
        }
        sh.intentOpen = false;
        open.decrementAndGet();
        if (sh.intentSkipped) {
            sh.intentSkipped = false;
            return;
        }
        log.endWrite(sh.bmSeq, sh.key * StripeEngine.PAGE_SECTORS, StripeEngine.PAGE_SECTORS, success, degraded);
    }

    /** Ends the pass's intent if it has one (a failing pass may or may not have begun). */
    void endIfOpen(StripeHead sh, boolean degraded) {
        if (sh.intentOpen) {
            end(sh, false, degraded);
        }
    }

    /** Write passes begun and not yet ended (0 when the engine is idle). */
    long openPasses() {
        return open.get();
    }
}
