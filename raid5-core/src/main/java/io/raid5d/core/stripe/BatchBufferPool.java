package io.raid5d.core.stripe;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Parity buffers of full-stripe batches ({@code maxBatchStripes} pages each), recycled so a
 * batch allocates nothing once the pool is filled. Guarded by the engine lock, except
 * {@link #allocate}, which runs outside it.
 */
final class BatchBufferPool {
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final int keep;
    private final int bytes;

    BatchBufferPool(int maxBatchStripes, int keep) {
        this.bytes = maxBatchStripes * StripeEngine.PAGE;
        this.keep = keep;
    }

    /** A recycled buffer, or null. Lock held. */
    ByteBuffer poll() {
        return free.pollFirst();
    }

    /** A new buffer when none was free (the pool fills up to its size once, then recycles). Outside the lock. */
    ByteBuffer allocate() {
        return ByteBuffer.allocateDirect(bytes + StripeEngine.PAGE).alignedSlice(StripeEngine.PAGE).limit(bytes).slice(); // O_DIRECT-ready
    }

    /** Lock held. */
    void recycle(ByteBuffer buf) {
        if (buf != null && free.size() < keep) {
            free.addLast(buf);
        }
    }
}
