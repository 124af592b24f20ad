package io.raid5d.core.stripe;

/**
 * Stripe heads by stripe number: an open hash of chained heads (no boxing, no allocation per
 * lookup). Guarded by the engine lock. Grows when the cache grows.
 */
final class StripeTable {
    private StripeHead[] buckets;
    private int mask;

    StripeTable(int heads) {
        resizeFor(heads);
    }

    void resizeFor(int heads) {
        int n = Integer.highestOneBit(Math.max(16, heads * 2 - 1)) << 1;
        if (buckets != null && buckets.length >= n) {
            return;
        }
        StripeHead[] old = buckets;
        buckets = new StripeHead[n];
        mask = n - 1;
        if (old != null) {
            for (StripeHead chain : old) {
                while (chain != null) {
                    StripeHead next = chain.hashNext;
                    insert(chain);
                    chain = next;
                }
            }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    StripeHead get(long key) {
        StripeHead h = buckets[slot(key)];
        while (h != null && h.key != key) {
            h = h.hashNext;
        }
        return h;
    }

    void insert(StripeHead h) {
        int s = slot(h.key);
        h.hashNext = buckets[s];
        buckets[s] = h;
    }

    void remove(StripeHead h) {
        int s = slot(h.key);
        StripeHead p = buckets[s];
        if (p == h) {
            buckets[s] = h.hashNext;
        } else {
            while (p.hashNext != h) {
                p = p.hashNext;
            }
            p.hashNext = h.hashNext;
        }
        h.hashNext = null;
    }
}
