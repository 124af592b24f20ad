package io.raid5d.nbd.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class SlabAllocatorTest {
    private static final int SLAB = 64 << 10;

    @Test
    void largeDirectBuffersAreEmptySlabsThatComeBackOnLastRelease() {
        SlabAllocator alloc = new SlabAllocator(UnpooledByteBufAllocator.DEFAULT, SLAB, 4);
        ByteBuf buf = alloc.ioBuffer(SLAB / 2);
        assertTrue(buf.isDirect());
        assertTrue(buf.hasMemoryAddress(), "sockets read into it by address");
        assertEquals(SLAB, buf.capacity());
        assertEquals(SLAB, buf.maxCapacity(), "a slab cannot grow");
        assertEquals(0, buf.readerIndex());
        assertEquals(0, buf.writerIndex());
        long address = buf.memoryAddress();
        buf.writeLong(42);
        ByteBuf slice = buf.retainedSlice(0, 8);
        buf.release();
        assertEquals(0, alloc.freeSlabs(), "a retained slice keeps the slab");
        assertEquals(42, slice.getLong(0));
        slice.release();
        assertEquals(1, alloc.freeSlabs());
        ByteBuf again = alloc.directBuffer(SLAB);
        assertEquals(address, again.memoryAddress(), "the slab released last is reused first");
        assertEquals(0, again.writerIndex());
        again.release();
    }

    @Test
    void smallAndHeapAndGrowableBuffersComeFromTheDecoratedAllocator() {
        SlabAllocator alloc = new SlabAllocator(UnpooledByteBufAllocator.DEFAULT, SLAB, 4);
        ByteBuf small = alloc.directBuffer(SLAB / 4 - 1);
        ByteBuf heap = alloc.heapBuffer(SLAB);
        ByteBuf growable = alloc.directBuffer(SLAB / 2, SLAB / 2);
        ByteBuf tooBig = alloc.directBuffer(SLAB + 1);
        assertFalse(heap.isDirect());
        assertEquals(SLAB / 4 - 1, small.capacity());
        assertEquals(SLAB / 2, growable.capacity());
        assertEquals(SLAB + 1, tooBig.capacity());
        for (ByteBuf b : List.of(small, heap, growable, tooBig)) {
            b.release();
        }
        assertEquals(0, alloc.freeSlabs(), "none of them was a slab");
    }

    @Test
    void keepsAtMostItsLimitAndFreesTheRest() {
        SlabAllocator alloc = new SlabAllocator(UnpooledByteBufAllocator.DEFAULT, SLAB, 2);
        List<ByteBuf> bufs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            bufs.add(alloc.directBuffer(SLAB));
        }
        assertEquals(5, bufs.stream().mapToLong(ByteBuf::memoryAddress).distinct().count());
        bufs.forEach(ByteBuf::release);
        assertEquals(2, alloc.freeSlabs());
    }

    /** Slabs taken on one thread and released on others (as payloads are) never serve two owners. */
    @RepeatedTest(5)
    void slabsMovingBetweenThreadsAreNeverSharedTwice() throws Exception {
        SlabAllocator alloc = new SlabAllocator(UnpooledByteBufAllocator.DEFAULT, SLAB, 8);
        int threads = 8;
        int rounds = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long mark = t + 1;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        ByteBuf buf = alloc.directBuffer(SLAB);
                        buf.setLong(0, mark);
                        buf.setLong(SLAB - 8, mark);
                        Thread.onSpinWait();
                        assertEquals(mark, buf.getLong(0), "another owner wrote into this slab");
                        assertEquals(mark, buf.getLong(SLAB - 8), "another owner wrote into this slab");
                        assertEquals(1, buf.refCnt());
                        buf.release();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(alloc.freeSlabs() <= 8);
    }
}
