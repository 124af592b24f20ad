package io.raid5d.nbd.client;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One request on the wire, waiting for its reply. Made by the submitting thread; after it is
 * published in the connection's map only the event loop touches {@link #covered} and
 * {@link #error} (the reply decoder) and completes {@link #future}.
 */
final class Pending {
    final long handle;
    final int type;
    final long offset;
    final int length;
    /** Where a READ's data goes (position = the request's first byte); null for other commands. */
    final ByteBuffer dst;
    final long sentNanos;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    /** Structured replies: data and hole bytes received so far (event loop). */
    long covered;
    /** Structured replies: the first error chunk, reported when the reply is done (event loop). */
    NbdErrorReply error;

    /** Structured READ replies: the ranges received, start to end, so none is sent twice (event loop). */
    private java.util.TreeMap<Long, Long> received;

    /** Records that {@code [offset, offset+n)} arrived; false when part of it already had. */
    boolean claim(long offset, int n) {
        if (received == null && offset == this.offset + covered) {
            return true; // in order and contiguous so far (the usual case): nothing to remember beyond covered
        }
        if (received == null) {
            received = new java.util.TreeMap<>();
            if (covered > 0) {
                received.put(this.offset, this.offset + covered); // what arrived in order before
            }
        }
        long end = offset + n;
        java.util.Map.Entry<Long, Long> before = received.floorEntry(offset);
        if (before != null && before.getValue() > offset) {
            return false;
        }
        Long after = received.ceilingKey(offset);
        if (after != null && after < end) {
            return false;
        }
        received.put(offset, end);
        return true;
    }

    Pending(long handle, int type, long offset, int length, ByteBuffer dst, long sentNanos) {
        this.handle = handle;
        this.type = type;
        this.offset = offset;
        this.length = length;
        this.dst = dst;
        this.sentNanos = sentNanos;
    }

    String describe() {
        return NbdClient.commandName(type) + " of " + length + " bytes at " + offset;
    }
}
