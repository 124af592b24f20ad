package io.raid5d.nbd.protocol;

/** Chunk types and flags of structured replies. */
public final class ReplyType {
    public static final int NONE = 0;
    public static final int OFFSET_DATA = 1;
    public static final int OFFSET_HOLE = 2;
    public static final int BLOCK_STATUS = 5;
    public static final int ERROR = (1 << 15) | 1;
    public static final int ERROR_OFFSET = (1 << 15) | 2;

    /** Chunk flag: the last chunk of its reply. */
    public static final int FLAG_DONE = 1;

    private ReplyType() {}
}
