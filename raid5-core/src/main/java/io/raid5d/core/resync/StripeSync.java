package io.raid5d.core.resync;

import io.raid5d.core.intent.WriteIntentLog;

import java.util.concurrent.CompletableFuture;

/** What a resync needs from the engine: parity checks through the stripe cache, ordered with writes. */
public interface StripeSync {
    /** Stripe heads per chunk row; stripe {@code s} of row {@code r} is {@code r * stripesPerRow() + s}. */
    int stripesPerRow();

    /** Checks (with {@code repair}: fixes) one stripe head's parity; completes with mismatched sectors. */
    CompletableFuture<Long> sync(long stripe, boolean repair);

    /** Member sectors from the start now known in sync; {@code Long.MAX_VALUE} when all are. */
    void syncedBelow(long memberSector);

    /** The next range at or after {@code fromSector} that needs syncing (whole rows), or null; default: all. */
    default WriteIntentLog.ResyncRange nextRange(long fromSector, long limitSector, long alignSectors) {
        return fromSector < limitSector ? new WriteIntentLog.ResyncRange(fromSector, limitSector) : null;
    }

    /** A range from {@link #nextRange} is done ({@code aborted}: stopped or failed before its end). */
    default void endRange(WriteIntentLog.ResyncRange range, boolean aborted) {
    }
}
