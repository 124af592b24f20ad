package io.raid5d.nbd.protocol;

/** Information types carried in NBD_REP_INFO replies to NBD_OPT_INFO / NBD_OPT_GO. */
public final class InfoType {
    public static final int EXPORT = 0;
    public static final int NAME = 1;
    public static final int DESCRIPTION = 2;
    public static final int BLOCK_SIZE = 3;

    private InfoType() {}
}
