package io.raid5d.nbd.transmission;

/**
 * How many requests and payload bytes one connection has in flight (read, not yet answered on
 * the socket). The decoder stops decoding while the budget does not admit more, and resumes
 * when a release makes room. Confined to the connection's event loop.
 */
final class InFlightBudget {
    private final int maxRequests;
    private final long maxBytes;
    // event-loop confined
    private int requests;
    private long bytes;
    private Runnable onAvailable;

    InFlightBudget(int maxRequests, long maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /** True while one more request may be decoded; one request is admitted whatever its size. */
    boolean admits() {
        return requests < maxRequests && bytes < maxBytes;
    }

    void acquire(long cost) {
        requests++;
        bytes += cost;
    }

    void release(long cost) {
        boolean wasFull = !admits();
        requests--;
        bytes -= cost;
        if (wasFull && admits() && onAvailable != null) {
            onAvailable.run();
        }
    }

    int requests() {
        return requests;
    }

    /** Called (on the event loop) each time the budget goes from full to admitting. */
    void onAvailable(Runnable listener) {
        this.onAvailable = listener;
    }
}
