package io.raid5d.nbd.transmission;

import io.netty.buffer.Unpooled;
import io.raid5d.nbd.export.FileSlice;
import java.util.List;

/**
 * A successful READ whose data the export named as file slices: the encoder sends the reply
 * header(s), then the slices straight from the files. Simple, or chunked structured like
 * {@link ReadChunksReply} (chunk headers between the pieces of the slices).
 */
final class FileReadReply extends Reply {
    private final long offset;
    private final int length;
    private final List<FileSlice> slices;
    private final boolean structured;
    private final int chunkSize;

    FileReadReply(NbdRequest request, List<FileSlice> slices, boolean structured, int chunkSize) {
        super(request.handle(), request.bufferCost(), Unpooled.EMPTY_BUFFER);
        this.offset = request.offset();
        this.length = (int) request.length();
        this.slices = slices;
        this.structured = structured;
        this.chunkSize = chunkSize;
    }

    long offset() { return offset; }
    int length() { return length; }
    List<FileSlice> slices() { return slices; }
    boolean structured() { return structured; }
    int chunkSize() { return chunkSize; }
}
