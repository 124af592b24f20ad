package io.raid5d.nbd.buffer;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Large direct buffers (socket receives of a streaming WRITE, copied READ replies) from a
 * stack of recycled slabs; everything else from the allocator it decorates.
 *
 * <p>Why: a payload buffer lives until its member writes end, on another thread, so Netty's
 * pooled arenas see a 4 MiB chunk go empty and free it, then map, zero and page-fault a fresh one
 * for the next receive (7% of the CPU of a sequential write, measured with perf). A slab is
 * allocated once and reused while the stack has room, and the most recently released slab is
 * reused first, the one most likely still in the CPU cache.
 */
public final class SlabAllocator extends AbstractByteBufAllocator {
    private final ByteBufAllocator small;
    private final int slabBytes;
    private final int smallestServed;
    private final Object lock = new Object();
    /** Released slabs, most recent on top. Guarded by {@link #lock}. */
    private final ByteBuffer[] free;
    /** How many of {@link #free} hold a slab. Guarded by {@link #lock}. */
    private int top;

    /**
     * @param small     serves heap buffers and direct buffers smaller than a quarter slab
     * @param slabBytes the size of a slab: the largest buffer served from the stack
     * @param keep      released slabs kept for reuse; more are freed at once
     */
    public SlabAllocator(ByteBufAllocator small, int slabBytes, int keep) {
        super(true);
        this.small = Objects.requireNonNull(small, "small");
        if (slabBytes < 4096 || keep < 0) {
            throw new IllegalArgumentException("slabBytes " + slabBytes + ", keep " + keep);
        }
        this.slabBytes = slabBytes;
        this.smallestServed = slabBytes / 4;
        this.free = new ByteBuffer[keep];
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return small.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        // A slab cannot grow (its memory goes back to the stack), so only fixed-size requests that fit
        if (initialCapacity < smallestServed || initialCapacity > slabBytes || maxCapacity < slabBytes) {
            return small.directBuffer(initialCapacity, maxCapacity);
        }
        return new Slab(this, take());
    }

    /** Slabs waiting for reuse now. */
    public int freeSlabs() {
        synchronized (lock) {
            return top;
        }
    }

    private ByteBuffer take() {
        synchronized (lock) {
            if (top > 0) {
                ByteBuffer slab = free[--top];
                free[top] = null;
                return slab.clear();
            }
        }
        return ByteBuffer.allocateDirect(slabBytes);
    }

    private void give(ByteBuffer slab) {
        synchronized (lock) {
            if (top < free.length) {
                free[top++] = slab;
                return;
            }
        }
        PlatformDependent.freeDirectBuffer(slab);
    }

    /** A slab's buffer: fixed capacity; its last release gives the memory back. */
    private static final class Slab extends UnpooledUnsafeDirectByteBuf {
        private final SlabAllocator owner;
        private ByteBuffer memory;

        Slab(SlabAllocator owner, ByteBuffer memory) {
            super(owner, memory, memory.capacity());
            this.owner = owner;
            this.memory = memory;
            setIndex(0, 0); // the wrapping constructor marks the handed-in bytes readable
        }

        @Override
        protected void deallocate() {
            ByteBuffer m = memory;
            memory = null;
            super.deallocate(); // does not free: the buffer was handed in, not allocated here
            if (m != null) {
                owner.give(m);
            }
        }
    }
}
