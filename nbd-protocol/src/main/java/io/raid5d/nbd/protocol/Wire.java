package io.raid5d.nbd.protocol;

/** Fixed sizes of wire structures. */
public final class Wire {
    /** IHAVEOPT(8) + option(4) + length(4). */
    public static final int OPTION_HEADER = 16;
    /** magic(4) + flags(2) + type(2) + handle(8) + offset(8) + length(4). */
    public static final int REQUEST_HEADER = 28;
    /** magic(4) + error(4) + handle(8). */
    public static final int SIMPLE_REPLY_HEADER = 16;
    /** magic(4) + flags(2) + type(2) + handle(8) + length(4). */
    public static final int STRUCTURED_CHUNK_HEADER = 20;
    /** A chunk header plus the 64-bit offset that starts an NBD_REPLY_TYPE_OFFSET_DATA payload. */
    public static final int OFFSET_DATA_HEADER = STRUCTURED_CHUNK_HEADER + 8;
    /** Payload of an NBD_REPLY_TYPE_BLOCK_STATUS chunk: context id(4), then per extent length(4) + flags(4). */
    public static final int BLOCK_STATUS_CONTEXT_ID = 4;
    public static final int BLOCK_DESCRIPTOR = 8;
    /** Default block size constraints a client assumes when it did not ask (spec: 1, 4096, 32 MiB). */
    public static final int DEFAULT_MAXIMUM_PAYLOAD = 32 << 20;
    /** Zero padding after the NBD_OPT_EXPORT_NAME reply unless both sides agreed on NO_ZEROES. */
    public static final int EXPORT_NAME_PADDING = 124;

    private Wire() {}
}
