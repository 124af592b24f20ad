package io.raid5d.nbd.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls for a condition; the deadline is only a guard against a hang, never the assertion. */
public final class Await {
    private static final long HANG_GUARD_NANOS = 20_000_000_000L;

    public static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + HANG_GUARD_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("hung waiting for " + what.get());
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private Await() {}
}
