package io.raid5d.nbd.protocol;

/** Metadata contexts this server knows, and the flags of {@code base:allocation} extents. */
public final class MetaContexts {
    public static final String BASE_NAMESPACE = "base:";
    public static final String BASE_ALLOCATION = "base:allocation";
    /** The id this server gives {@code base:allocation}; any non-zero value would do. */
    public static final int BASE_ALLOCATION_ID = 1;

    /** base:allocation flag: the extent is not allocated. */
    public static final int STATE_HOLE = 1;
    /** base:allocation flag: the extent reads as zeros. */
    public static final int STATE_ZERO = 1 << 1;

    private MetaContexts() {}
}
