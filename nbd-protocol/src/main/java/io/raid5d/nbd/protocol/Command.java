package io.raid5d.nbd.protocol;

/** Request types of the transmission phase. */
public final class Command {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int DISC = 2;
    public static final int FLUSH = 3;
    public static final int TRIM = 4;
    public static final int CACHE = 5;
    public static final int WRITE_ZEROES = 6;
    public static final int BLOCK_STATUS = 7;

    private Command() {}
}
