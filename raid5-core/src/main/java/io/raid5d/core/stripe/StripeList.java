package io.raid5d.core.stripe;

/**
 * An intrusive FIFO of stripe heads (O(1) add, poll, and removal from the middle, no
 * allocation). A head is on at most one list at a time; {@code head.on} says which.
 * Guarded by the engine lock.
 */
final class StripeList {
    final String name;
    private StripeHead first;
    private StripeHead last;
    private int size;

    StripeList(String name) {
        this.name = name;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    StripeHead peekFirst() {
        return first;
    }

    void addLast(StripeHead h) {
        if (h.on != null) {
            throw new IllegalStateException("stripe " + h.key + " is already on the " + h.on.name + " list");
        }
        h.on = this;
        h.prev = last;
        h.next = null;
        if (last == null) {
            first = h;
        } else {
            last.next = h;
        }
        last = h;
        size++;
    }

    void addFirst(StripeHead h) {
        if (first == null) {
            addLast(h);
            return;
        }
        if (h.on != null) {
            throw new IllegalStateException("stripe " + h.key + " is already on the " + h.on.name + " list");
        }
        h.on = this;
        h.prev = null;
        h.next = first;
        first.prev = h;
        first = h;
        size++;
    }

    StripeHead pollFirst() {
        StripeHead h = first;
        if (h != null) {
            remove(h);
        }
        return h;
    }

    void remove(StripeHead h) {
        if (h.on != this) {
            throw new IllegalStateException("stripe " + h.key + " is not on the " + name + " list");
        }
        if (h.prev == null) {
            first = h.next;
        } else {
            h.prev.next = h.next;
        }
        if (h.next == null) {
            last = h.prev;
        } else {
            h.next.prev = h.prev;
        }
        h.prev = null;
        h.next = null;
        h.on = null;
        size--;
    }
}
