package io.raid5d.core.array;

import java.nio.ByteBuffer;

/**
 * Two chunk-sized direct buffers owned by one thread (held in a ThreadLocal by the caller), so
 * row writes and parity checks allocate nothing per request. Never shared across threads.
 */
final class ChunkScratch {
    final ByteBuffer parity;
    final ByteBuffer data;

    ChunkScratch(int chunkBytes) {
        this.parity = ByteBuffer.allocateDirect(chunkBytes);
        this.data = ByteBuffer.allocateDirect(chunkBytes);
    }

    /** A view of {@code buf}'s bytes [from, to), positioned at 0. */
    static ByteBuffer range(ByteBuffer buf, int from, int to) {
        return buf.duplicate().limit(to).position(from).slice();
    }
}
