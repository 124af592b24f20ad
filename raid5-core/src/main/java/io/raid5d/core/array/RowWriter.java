package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.parity.Parity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes a byte range that lies inside one chunk row and keeps the row's parity right.
 *
 * <p>Chooses like md: count the member reads reconstruct-write (read the data chunks not
 * fully overwritten) and read-modify-write (read old data and old parity of what changes)
 * need, and take read-modify-write only when it needs strictly fewer. A whole row is a
 * reconstruct-write with no reads. The caller holds the row's lock.
 */
final class RowWriter {
    private final MemberSet members;
    private final Geometry geometry;
    private final int chunkBytes;
    private final ThreadLocal<ChunkScratch> scratch;
    final LongAdder readModifyWrites = new LongAdder();
    final LongAdder reconstructWrites = new LongAdder();

    RowWriter(MemberSet members, ThreadLocal<ChunkScratch> scratch) {
        this.members = members;
        this.geometry = members.geometry();
        this.chunkBytes = geometry.chunkBytes();
        this.scratch = scratch;
    }

    /**
     * Writes {@code src}'s remaining bytes at byte {@code rowOffset} of row {@code row}
     * (the row's data bytes in array order). {@code src} may be a zero-filled buffer for trims.
     */
    void write(long row, int rowOffset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        int first = rowOffset / chunkBytes;
        int last = (rowOffset + length - 1) / chunkBytes;
        int dataDisks = geometry.dataDisks();
        int fullyCovered = 0;
        for (int j = first; j <= last; j++) {
            if (start(j, rowOffset) == 0 && end(j, rowOffset, length) == chunkBytes) {
                fullyCovered++;
            }
        }
        int touched = last - first + 1;
        int rcwReads = dataDisks - fullyCovered;
        int rmwReads = touched + 1;
        if (rmwReads < rcwReads) {
            readModifyWrite(row, rowOffset, src, first, last);
            readModifyWrites.increment();
        } else {
            reconstructWrite(row, rowOffset, src, first, last);
            reconstructWrites.increment();
        }
    }

    private int start(int j, int rowOffset) {
        int chunkStart = j * chunkBytes;
        return Math.max(rowOffset - chunkStart, 0);
    }

    private int end(int j, int rowOffset, int length) {
        int chunkStart = j * chunkBytes;
        return Math.min(rowOffset + length - chunkStart, chunkBytes);
    }

    /** The part of {@code src} that lands in data chunk {@code j}. */
    private ByteBuffer piece(ByteBuffer src, int j, int rowOffset, int length) {
        int from = src.position() + j * chunkBytes + start(j, rowOffset) - rowOffset;
        int to = from + end(j, rowOffset, length) - start(j, rowOffset);
        return ChunkScratch.range(src, from, to);
    }

    private void reconstructWrite(long row, int rowOffset, ByteBuffer src, int first, int last) throws IOException {
        int length = src.remaining();
        ChunkScratch s = scratch.get();
        ByteBuffer parity = s.parity.clear();
        zero(parity);
        for (int j = 0; j < geometry.dataDisks(); j++) {
            int member = geometry.dataMember(row, j);
            boolean touched = j >= first && j <= last;
            int from = touched ? start(j, rowOffset) : 0;
            int to = touched ? end(j, rowOffset, length) : 0;
            if (from == 0 && to == chunkBytes) {
                Parity.xorInto(parity, piece(src, j, rowOffset, length));
                continue;
            }
            // Not fully overwritten: its current bytes take part in the new parity.
            ByteBuffer old = s.data.clear();
            members.member(member).read(members.rowAddress(member, row), old);
            if (touched) {
                ChunkScratch.range(old, from, to).put(piece(src, j, rowOffset, length));
            }
            Parity.xorInto(parity, old.clear());
        }
        writeData(row, rowOffset, src, first, last);
        int parityMember = geometry.parityDisk(row);
        members.member(parityMember).write(members.rowAddress(parityMember, row), parity.clear());
    }

    private void readModifyWrite(long row, int rowOffset, ByteBuffer src, int first, int last) throws IOException {
        int length = src.remaining();
        // Parity bytes that change: the union of the touched ranges. Chunks after the first
        // start at 0 and chunks before the last end at the chunk's end.
        int lo = first == last ? start(first, rowOffset) : 0;
        int hi = first == last ? end(first, rowOffset, length) : chunkBytes;
        ChunkScratch s = scratch.get();
        ByteBuffer parity = ChunkScratch.range(s.parity, lo, hi);
        int parityMember = geometry.parityDisk(row);
        long parityAddress = members.rowAddress(parityMember, row);
        members.member(parityMember).read(parityAddress + lo, parity.duplicate());
        for (int j = first; j <= last; j++) {
            int from = start(j, rowOffset);
            int to = end(j, rowOffset, length);
            ByteBuffer old = ChunkScratch.range(s.data, from, to);
            int member = geometry.dataMember(row, j);
            members.member(member).read(members.rowAddress(member, row) + from, old.duplicate());
            // parity ^= old ^ new over this chunk's changed bytes
            ByteBuffer parityPart = ChunkScratch.range(parity, from - lo, to - lo);
            Parity.xorInto(parityPart, old);
            Parity.xorInto(parityPart, piece(src, j, rowOffset, length));
        }
        writeData(row, rowOffset, src, first, last);
        members.member(parityMember).write(parityAddress + lo, parity);
    }

    private void writeData(long row, int rowOffset, ByteBuffer src, int first, int last) throws IOException {
        int length = src.remaining();
        for (int j = first; j <= last; j++) {
            int member = geometry.dataMember(row, j);
            members.member(member).write(members.rowAddress(member, row) + start(j, rowOffset),
                    piece(src, j, rowOffset, length));
        }
    }

    private static void zero(ByteBuffer buf) {
        for (int i = 0; i + 8 <= buf.capacity(); i += 8) {
            buf.putLong(i, 0L);
        }
        for (int i = buf.capacity() & ~7; i < buf.capacity(); i++) {
            buf.put(i, (byte) 0);
        }
    }
}
