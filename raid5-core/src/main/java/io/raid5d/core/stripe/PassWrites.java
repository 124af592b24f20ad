package io.raid5d.core.stripe;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The member writes of one write pass (a head, or a full-stripe batch), queued on the members;
 * the last completion, on whichever I/O thread, ends the pass ({@link PassCompletion#writesDone})
 * with the members whose write failed. Thread-safe: completions race only on the atomics.
 */
final class PassWrites {
    private final PassCompletion passEnd;
    private final List<StripeHead> heads;
    private final ByteBuffer parityBuf;
    private final AtomicInteger left;
    private final AtomicLong failedMask = new AtomicLong();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();

    /** @param count the member writes to wait for (at least 1) */
    PassWrites(PassCompletion passEnd, List<StripeHead> heads, ByteBuffer parityBuf, int count) {
        this.passEnd = passEnd;
        this.heads = heads;
        this.parityBuf = parityBuf;
        this.left = new AtomicInteger(count);
    }

    /** One member's write ended ({@code error} null: written). */
    void written(int role, Throwable error) {
        if (error instanceof MemberQueues.NotIssued) {
            firstError.compareAndSet(null, error.getCause()); // the array is stopping: no member is at fault
        } else if (error != null) {
            failedMask.getAndUpdate(v -> v | (1L << role));
            firstError.compareAndSet(null, error);
        }
        if (left.decrementAndGet() == 0) {
            passEnd.writesDone(heads, failedMask.get(), firstError.get(), parityBuf);
        }
    }
}
