package io.raid5d.core.stripe;

/**
 * md's choice for a write pass on one head (handle_stripe_dirtying): which pages to read first.
 * Reconstruct-write (RCW) reads every data page that is neither up to date nor fully
 * overwritten; read-modify-write (RMW) reads the old content of every page being written and
 * the parity. RMW is taken only when it needs strictly fewer reads, and never on a head the
 * resync has not reached (its parity may be wrong; RCW makes it right). Degraded: always a
 * reconstruct-write that never reads the lost member; if the lost member's page is data this
 * pass does not fully overwrite, every other page is read to rebuild it ({@link #reconstruct}).
 *
 * @param rmw         the pass is a read-modify-write
 * @param reconstruct the lost member's page must be rebuilt from all the others first
 * @param readMask    members whose page must be read (bit m for member m)
 */
record ReadPlan(boolean rmw, boolean reconstruct, long readMask) {

    /** Pages to read. */
    int reads() {
        return Long.bitCount(readMask);
    }

    /**
     * Plans the pass of {@code sh}; engine lock held (reads the head's pages' state).
     *
     * @param lost     the member this head cannot read (lost), or -1
     * @param resynced the head lies below the resync frontier (its parity is known good)
     */
    static ReadPlan of(StripeHead sh, int lost, boolean resynced) {
        int pd = sh.parityMember;
        int members = sh.devs.length;
        if (lost >= 0) {
            Dev ld = sh.devs[lost];
            boolean reconstruct = lost != pd && !ld.uptodate && !ld.overwritten(StripeEngine.FULL_MASK, StripeEngine.PAGE);
            long mask = 0;
            for (int m = 0; m < members; m++) {
                Dev d = sh.devs[m];
                if (m != lost && !d.uptodate
                        && (reconstruct || (m != pd && !d.overwritten(StripeEngine.FULL_MASK, StripeEngine.PAGE)))) {
                    mask |= 1L << m;
                }
            }
            return new ReadPlan(false, reconstruct, mask);
        }
        long rcw = 0;
        long rmw = sh.devs[pd].uptodate ? 0 : 1L << pd;
        for (int m = 0; m < members; m++) {
            if (m == pd) {
                continue;
            }
            Dev d = sh.devs[m];
            if (!d.uptodate && !d.overwritten(StripeEngine.FULL_MASK, StripeEngine.PAGE)) {
                rcw |= 1L << m;
            }
            if (d.hasPendingWrite() && !d.uptodate) {
                rmw |= 1L << m;
            }
        }
        boolean useRmw = Long.bitCount(rmw) < Long.bitCount(rcw) && resynced;
        return new ReadPlan(useRmw, false, useRmw ? rmw : rcw);
    }
}
