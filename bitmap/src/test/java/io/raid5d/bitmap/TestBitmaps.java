package io.raid5d.bitmap;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.bitmap.testing.MemoryBitmapStore;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/** Shared set-up: a two-page bitmap of 4 KiB chunks, a fake clock. */
final class TestBitmaps {
    static final byte[] UUID = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    /** 4 KiB bitmap chunks: 8 member sectors per bit. */
    static final int CHUNK_BYTES = 4096;
    static final long CHUNK_SECTORS = CHUNK_BYTES / 512;
    /** Page 0 holds (4096 - 256) * 8 bits; 40000 bits need a second page. */
    static final long CHUNKS = 40000;
    static final long FIRST_CHUNK_OF_PAGE_1 = (4096 - 256) * 8;
    static final long EVENTS = 10;

    private TestBitmaps() {
    }

    static BitmapSuperblock header() {
        return FileBitmapStore.newHeader(UUID, CHUNKS * CHUNK_SECTORS, CHUNK_BYTES, 5, EVENTS);
    }

    static MemoryBitmapStore cleanStore() {
        return MemoryBitmapStore.create("mem", header(), false);
    }

    static BitmapOpenOptions options(FakeClock clock, Executor writer) {
        return new BitmapOpenOptions().arrayUuid(UUID).arrayEvents(EVENTS).componentSectors(CHUNKS * CHUNK_SECTORS)
                .nanoClock(clock).writer(writer);
    }

    static WriteIntentBitmap open(MemoryBitmapStore store, FakeClock clock) throws Exception {
        return WriteIntentBitmap.open(store, options(clock, Runnable::run));
    }

    /** First member sector of {@code chunk}. */
    static long sector(long chunk) {
        return chunk * CHUNK_SECTORS;
    }

    /** A monotonic clock the test moves. */
    static final class FakeClock implements java.util.function.LongSupplier {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        @Override
        public long getAsLong() {
            return nanos.get();
        }

        void advanceSeconds(long s) {
            nanos.addAndGet(s * 1_000_000_000L);
        }
    }
}
