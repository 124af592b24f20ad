package io.raid5d.nbd.protocol;

/** Option codes a client sends during option haggling. */
public final class Option {
    public static final int EXPORT_NAME = 1;
    public static final int ABORT = 2;
    public static final int LIST = 3;
    public static final int STARTTLS = 5;
    public static final int INFO = 6;
    public static final int GO = 7;
    public static final int STRUCTURED_REPLY = 8;
    public static final int LIST_META_CONTEXT = 9;
    public static final int SET_META_CONTEXT = 10;
    public static final int EXTENDED_HEADERS = 11;

    private Option() {}
}
