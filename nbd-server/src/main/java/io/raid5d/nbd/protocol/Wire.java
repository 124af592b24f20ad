package io.raid5d.nbd.protocol;

/** Fixed sizes of wire structures. */
public final class Wire {
    /** IHAVEOPT(8) + option(4) + length(4). */
    public static final int OPTION_HEADER = 16;
    /** magic(4) + flags(2) + type(2) + handle(8) + offset(8) + length(4). */
    public static final int REQUEST_HEADER = 28;
    /** magic(4) + error(4) + handle(8). */
    public static final int SIMPLE_REPLY_HEADER = 16;
    /** Zero padding after the NBD_OPT_EXPORT_NAME reply unless both sides agreed on NO_ZEROES. */
    public static final int EXPORT_NAME_PADDING = 124;

    private Wire() {}
}
