package io.raid5d.core.stripe;

import java.util.concurrent.CompletableFuture;

/** Check (and with {@code repair} rewrite) the parity of one stripe head; completes with mismatched sectors. */
final class SyncRequest extends Request {
    final long key;
    final boolean repair;
    final CompletableFuture<Long> future = new CompletableFuture<>();

    SyncRequest(long key, boolean repair) {
        this.key = key;
        this.repair = repair;
    }

    @Override
    boolean attach(StripeEngine engine) {
        return engine.attachSync(this);
    }
}
