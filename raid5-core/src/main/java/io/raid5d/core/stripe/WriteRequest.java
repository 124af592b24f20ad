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
    final ByteBuffer[] bases; // the caller's buffers in order (duplicates); null for a trim (zeros)
    final int[] basePos; // first byte of each
    final int[] partLength; // bytes of each
    final boolean fua;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    int attached; // bytes attached so far
    int part; // the buffer the next byte comes from
    int partDone; // bytes of that buffer attached
    final AtomicInteger remaining = new AtomicInteger(1);
    volatile Throwable error;

    /** {@code srcs == null}: {@code length} zero bytes (a trim). */
    WriteRequest(long offset, ByteBuffer[] srcs, int length, boolean fua) {
        this.offset = offset;
        this.length = length;
        this.fua = fua;
        if (srcs == null) {
            bases = null;
            basePos = null;
            partLength = null;
            return;
        }
        bases = new ByteBuffer[srcs.length];
        basePos = new int[srcs.length];
        partLength = new int[srcs.length];
        for (int i = 0; i < srcs.length; i++) {
            bases[i] = srcs[i].duplicate();
            basePos[i] = srcs[i].position();
            partLength[i] = srcs[i].remaining();
        }
        skipEmptyParts();
    }

    /** Bytes left in the current buffer. */
    int partRemaining() {
        return bases == null ? length - attached : partLength[part] - partDone;
    }

    void advance(int n) {
        attached += n;
        if (bases != null) {
            partDone += n;
            skipEmptyParts();
        }
    }

    private void skipEmptyParts() {
        while (part < partLength.length && partDone == partLength[part]) {
            part++;
            partDone = 0;
        }
    }

    @Override
    boolean attach(RequestAdmission admission) {
        return admission.attachWrite(this);
    }
}
