package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.ExportRegistry;
import io.raid5d.nbd.tls.TlsSettings;
import io.raid5d.nbd.transmission.Session;

/** What an {@link OptionHandler} may do to the connection it is haggling on. */
public interface OptionExchange {

    ExportRegistry registry();

    ByteBufAllocator alloc();

    /** What this connection negotiated so far; handlers record their outcome in it. */
    Session session();

    TlsSettings tls();

    /** The client set NBD_FLAG_C_NO_ZEROES (the server always offers it). */
    boolean clientNoZeroes();

    /** Queues an option reply; takes ownership of {@code data}. */
    void reply(int option, int type, ByteBuf data);

    /** Queues an error reply carrying a human-readable message. */
    void replyError(int option, int errorType, String message);

    /** Queues the NBD_OPT_EXPORT_NAME answer for {@code export}. */
    void replyExportName(BlockExport export);

    /**
     * Acknowledges {@code option} (NBD_OPT_STARTTLS) and upgrades the connection to TLS: every
     * later byte either way is encrypted. A client that already sent more plaintext after the
     * option is disconnected, so no plaintext can pose as part of the TLS session.
     */
    void startTls(int option);

    /** Ends haggling after the queued replies: the connection now serves {@code export}. */
    void enterTransmission(BlockExport export);

    /** Ends haggling after the queued replies: the connection closes. */
    void close();
}
