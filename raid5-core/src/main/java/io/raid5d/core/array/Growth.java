package io.raid5d.core.array;

import io.raid5d.core.geometry.Grow;
import io.raid5d.core.grow.ReshapeSweep;
import io.raid5d.core.grow.ReshapeWindow;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.stripe.MemberFailures;
import io.raid5d.core.stripe.StripeEngine;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A growing array's I/O side: the engine of the old geometry (its members at their old data
 * offsets) next to the array's engine, which is already the new geometry's; the
 * {@link ReshapeWindow} that routes each request to one of them; and the {@link ReshapeSweep}
 * that copies the data across. Requests are wrapped as window operations that can be issued in
 * either geometry, or split at the boundary.
 *
 * <p>Ownership: made and published by the array under its grow lock; the sweep is set once
 * before the window lets requests through; the old engine is closed by whoever ends the grow
 * (its end, or the array's close).
 */
final class Growth {
    /** The grow, or null for a pause of a size change (no copy, no sweep). */
    final Grow grow;
    /** The array's size while this lasts: the old one. */
    final long sizeBytesDuring;
    final StripeEngine oldEngine;
    final MemberSet oldMembers;
    final ReshapeWindow window;
    private final Supplier<StripeEngine> newEngine; // the array's engine at the time a part is issued
    volatile ReshapeSweep sweep;

    Growth(Grow grow, StripeEngine oldEngine, MemberSet oldMembers, ReshapeWindow window, Supplier<StripeEngine> newEngine) {
        this(grow, grow.before().arrayBytes(), oldEngine, oldMembers, window, newEngine);
    }

    Growth(Grow grow, long sizeBytesDuring, StripeEngine oldEngine, MemberSet oldMembers, ReshapeWindow window,
           Supplier<StripeEngine> newEngine) {
        this.sizeBytesDuring = sizeBytesDuring;
        this.grow = grow;
        this.oldEngine = oldEngine;
        this.oldMembers = oldMembers;
        this.window = window;
        this.newEngine = newEngine;
    }

    private StripeEngine engine(boolean grown) {
        return grown ? newEngine.get() : oldEngine;
    }

    CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        int base = dst.position();
        ReshapeWindow.Op op = new ReshapeWindow.Op(offset, offset + dst.remaining()) {
            @Override
            protected CompletableFuture<Void> issue(boolean grown, long from, long to) {
                ByteBuffer part = dst.duplicate();
                part.limit(base + (int) (to - offset)).position(base + (int) (from - offset));
                return engine(grown).read(from, part.slice());
            }
        };
        window.submit(op);
        return op.future();
    }

    /** A write of {@code length} bytes gathered from {@code srcs} ({@code null}: zeros). */
    CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, int length, boolean fua) {
        ReshapeWindow.Op op = new ReshapeWindow.Op(offset, offset + length) {
            @Override
            protected CompletableFuture<Void> issue(boolean grown, long from, long to) {
                int n = (int) (to - from);
                ByteBuffer[] part = srcs == null ? null : slice(srcs, from - offset, n);
                return engine(grown).write(from, part, n, fua);
            }
        };
        window.submit(op);
        return op.future();
    }

    CompletableFuture<Void> flush() {
        return CompletableFuture.allOf(oldEngine.flush(), newEngine.get().flush());
    }

    /** Views of {@code length} bytes of the gathered buffers, {@code skip} bytes in (a part split at the boundary). */
    static ByteBuffer[] slice(ByteBuffer[] srcs, long skip, int length) {
        if (skip == 0 && total(srcs) == length) {
            return srcs;
        }
        java.util.List<ByteBuffer> out = new java.util.ArrayList<>();
        long left = skip;
        int want = length;
        for (ByteBuffer b : srcs) {
            int r = b.remaining();
            if (left >= r) {
                left -= r;
                continue;
            }
            int from = b.position() + (int) left;
            int n = Math.min(want, r - (int) left);
            ByteBuffer v = b.duplicate();
            v.limit(from + n).position(from);
            out.add(v.slice());
            want -= n;
            left = 0;
            if (want == 0) {
                break;
            }
        }
        return out.toArray(new ByteBuffer[0]);
    }

    private static long total(ByteBuffer[] srcs) {
        long n = 0;
        for (ByteBuffer b : srcs) {
            n += b.remaining();
        }
        return n;
    }

    /**
     * The member failures of two engines over the same devices: the other engine's set marks
     * the member faulty before the failure is recorded (both engines record under one lock, see
     * {@link StripeEngine#failureLock()}), so neither writes to it again nor acknowledges a
     * pass that skipped it before the record.
     */
    static MemberFailures mirrored(MemberFailures recorder, MemberSet other) {
        return new MemberFailures() {
            @Override
            public void memberFailed(int role, Throwable cause) {
                if (role < other.count()) {
                    other.markFaulty(role);
                }
                recorder.memberFailed(role, cause);
            }

            @Override
            public void correctedRead(int role) {
                recorder.correctedRead(role);
            }

            @Override
            public boolean readErrorLimitReached(int role) {
                return recorder.readErrorLimitReached(role);
            }
        };
    }
}
