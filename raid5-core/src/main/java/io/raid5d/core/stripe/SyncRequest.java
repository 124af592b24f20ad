package io.raid5d.core.stripe;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A pass over one stripe head that brings every page up to date (reading the members, and
 * reconstructing a lost member's page from the others and parity), then does one of:
 * {@link #CHECK} parity (with {@code repair}: rewrite it where it differs; completes with
 * mismatched sectors), {@link #REBUILD} (write the lost role's page to the spare being
 * rebuilt; completes with the sectors written), or {@link #FETCH} (copy bytes of one member's
 * page out to a reader: a degraded read or a read that hit a member error; completes with 0).
 */
final class SyncRequest extends Request {
    static final int CHECK = 0;
    static final int REBUILD = 1;
    static final int FETCH = 2;

    final long key;
    final int kind;
    final boolean repair;
    // FETCH only: which member page, which bytes of it, where they go
    final int member;
    final int pageOffset;
    final int length;
    final ByteBuffer dst;
    final int dstPos;
    final CompletableFuture<Long> future = new CompletableFuture<>();

    SyncRequest(long key, boolean repair) {
        this(key, CHECK, repair, -1, 0, 0, null, 0);
    }

    SyncRequest(long key, int kind, boolean repair, int member, int pageOffset, int length, ByteBuffer dst, int dstPos) {
        this.key = key;
        this.kind = kind;
        this.repair = repair;
        this.member = member;
        this.pageOffset = pageOffset;
        this.length = length;
        this.dst = dst;
        this.dstPos = dstPos;
    }

    static SyncRequest rebuild(long key) {
        return new SyncRequest(key, REBUILD, false, -1, 0, 0, null, 0);
    }

    static SyncRequest fetch(long key, int member, int pageOffset, int length, ByteBuffer dst, int dstPos) {
        return new SyncRequest(key, FETCH, false, member, pageOffset, length, dst, dstPos);
    }

    @Override
    boolean attach(RequestAdmission admission) {
        return admission.attachSync(this);
    }
}
