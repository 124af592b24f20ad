package io.raid5d.core.intent;

/**
 * The write-intent log for today's conservative bitmap (every bit is set on disk while the
 * array is writable, see {@code ConservativeBitmap}): every batch is already durable, so no
 * stripe ever waits on the bitmap list. It still counts startWrite/endWrite so a caller can
 * check they balance.
 */
public final class AlwaysWrittenLog implements WriteIntentLog {
    private final java.util.concurrent.atomic.AtomicLong outstanding = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public long startWrite(long memberSector, long sectors) {
        outstanding.incrementAndGet();
        return 1;
    }

    @Override
    public boolean isBatchWritten(long bmSeq) {
        return true;
    }

    @Override
    public void onBatchWritten(Runnable listener) {
        // batches are durable before they open: nothing will ever be reported
    }

    @Override
    public void unplug() {
    }

    @Override
    public void endWrite(long memberSector, long sectors, boolean success, boolean degraded) {
        outstanding.decrementAndGet();
    }

    /** startWrite calls not yet matched by endWrite. */
    public long outstanding() {
        return outstanding.get();
    }
}
