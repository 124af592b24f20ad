package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.ExportRegistry;

/** What an {@link OptionHandler} may do to the connection it is haggling on. */
public interface OptionExchange {

    ExportRegistry registry();

    ByteBufAllocator alloc();

    /** The client set NBD_FLAG_C_NO_ZEROES (the server always offers it). */
    boolean clientNoZeroes();

    /** Queues an option reply; takes ownership of {@code data}. */
    void reply(int option, int type, ByteBuf data);

    /** Queues an error reply carrying a human-readable message. */
    void replyError(int option, int errorType, String message);

    /** Queues the NBD_OPT_EXPORT_NAME answer for {@code export}. */
    void replyExportName(BlockExport export);

    /** Ends haggling after the queued replies: the connection now serves {@code export}. */
    void enterTransmission(BlockExport export);

    /** Ends haggling after the queued replies: the connection closes. */
    void close();
}
