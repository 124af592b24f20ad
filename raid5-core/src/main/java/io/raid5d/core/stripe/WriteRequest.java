package io.raid5d.core.stripe;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One write or trim of the array, cut into pieces per stripe-head page. Completes when every
 * piece's pass has written its members (and, with FUA, the members are synced).
 *
 * <p>{@code attached} is guarded by the engine lock; {@code remaining} counts unfinished pieces
 * plus one while still attaching, so the request cannot complete half-attached.
 */
final class WriteRequest extends Request {
    final long offset;
    final int length;
    final ByteBuffer base; // null for a trim (zeros)
    final int basePos;
    final boolean fua;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    int attached; // bytes attached so far
    final AtomicInteger remaining = new AtomicInteger(1);
    volatile Throwable error;

    WriteRequest(long offset, ByteBuffer src, int length, boolean fua) {
        this.offset = offset;
        this.length = length;
        this.base = src == null ? null : src.duplicate();
        this.basePos = src == null ? 0 : src.position();
        this.fua = fua;
    }

    @Override
    boolean attach(StripeEngine engine) {
        return engine.attachWrite(this);
    }
}
