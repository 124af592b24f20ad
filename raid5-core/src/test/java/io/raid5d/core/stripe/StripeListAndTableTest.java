package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The engine's intrusive lists and hash table against plain Java collections: a head is on at
 * most one list (adding one that is on a list is a bug and throws), order is kept, removal is
 * O(1) from anywhere; the table finds
 * every head by key across resizes and chains.
 */
class StripeListAndTableTest {
    private static StripeHead head(long key) {
        StripeHead h = new StripeHead(3, StripeEngine.PAGE);
        h.key = key;
        return h;
    }

    @Test
    void aHeadIsOnOneListAtATimeAndOrderIsKept() {
        StripeList a = new StripeList("a");
        StripeList b = new StripeList("b");
        StripeHead x = head(1);
        StripeHead y = head(2);
        StripeHead z = head(3);
        a.addLast(x);
        a.addLast(y);
        a.addFirst(z);
        assertEquals(3, a.size());
        IllegalStateException twice = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> b.addLast(y));
        assertTrue(twice.getMessage().contains("already on the a list"), twice.getMessage());
        a.remove(y);
        b.addLast(y);
        assertEquals(2, a.size());
        assertSame(b, y.on);
        assertSame(z, a.pollFirst());
        assertSame(x, a.pollFirst());
        assertTrue(a.isEmpty());
        assertNull(a.pollFirst());
        b.remove(y);
        assertNull(y.on);
        assertTrue(b.isEmpty());
    }

    @Test
    void randomOperationsMatchAModel() {
        Random r = new Random(3);
        StripeList[] lists = {new StripeList("0"), new StripeList("1"), new StripeList("2")};
        List<ArrayDeque<StripeHead>> model = List.of(new ArrayDeque<>(), new ArrayDeque<>(), new ArrayDeque<>());
        StripeHead[] heads = new StripeHead[40];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = head(i);
        }
        for (int step = 0; step < 20_000; step++) {
            StripeHead h = heads[r.nextInt(heads.length)];
            int l = r.nextInt(3);
            switch (r.nextInt(4)) {
                case 0 -> {
                    model.forEach(m -> m.remove(h));
                    if (h.on != null) {
                        h.on.remove(h);
                    }
                    lists[l].addLast(h);
                    model.get(l).addLast(h);
                }
                case 1 -> {
                    model.forEach(m -> m.remove(h));
                    if (h.on != null) {
                        h.on.remove(h);
                    }
                    lists[l].addFirst(h);
                    model.get(l).addFirst(h);
                }
                case 2 -> assertSame(model.get(l).pollFirst(), lists[l].pollFirst());
                default -> {
                    if (h.on == lists[l]) {
                        lists[l].remove(h);
                        model.get(l).remove(h);
                    }
                }
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(model.get(i).size(), lists[i].size(), "step " + step);
                assertSame(model.get(i).peekFirst(), lists[i].peekFirst(), "step " + step);
            }
        }
    }

    @Test
    void theTableFindsEveryHeadAcrossResizesAndChains() {
        StripeTable t = new StripeTable(4);
        Map<Long, StripeHead> model = new HashMap<>();
        Random r = new Random(5);
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            long key = r.nextInt(1 << 20) * 64L; // keys with common low bits: chains
            if (model.containsKey(key)) {
                continue;
            }
            StripeHead h = head(key);
            t.insert(h);
            model.put(key, h);
            keys.add(key);
            if (i % 500 == 499) {
                t.resizeFor(model.size() * 2);
            }
        }
        for (int i = 0; i < keys.size(); i += 3) {
            t.remove(model.remove(keys.get(i)));
        }
        for (long key : keys) {
            assertSame(model.get(key), t.get(key), "key " + key);
        }
    }
}
