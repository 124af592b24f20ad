package io.raid5d.core.resync;

import java.util.concurrent.CompletableFuture;

/** What a resync needs from the engine: parity checks through the stripe cache, ordered with writes. */
public interface StripeSync {
    /** Stripe heads per chunk row; stripe {@code s} of row {@code r} is {@code r * stripesPerRow() + s}. */
    int stripesPerRow();

    /** Checks (with {@code repair}: fixes) one stripe head's parity; completes with mismatched sectors. */
    CompletableFuture<Long> sync(long stripe, boolean repair);

    /** Member sectors from the start now known in sync; {@code Long.MAX_VALUE} when all are. */
    void syncedBelow(long memberSector);
}
