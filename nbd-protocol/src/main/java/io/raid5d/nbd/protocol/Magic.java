package io.raid5d.nbd.protocol;

/** Magic numbers of the NBD wire protocol (all big-endian on the wire). */
public final class Magic {
    /** First 8 bytes the server sends: ASCII "NBDMAGIC". */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** Newstyle handshake magic, and the prefix of every option request: ASCII "IHAVEOPT". */
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** Prefix of every option reply. */
    public static final long OPTION_REPLY = 0x0003e889045565a9L;
    /** Prefix of every transmission request. */
    public static final int REQUEST = 0x25609513;
    /** Prefix of every simple reply. */
    public static final int SIMPLE_REPLY = 0x67446698;
    /** Prefix of every structured reply chunk. */
    public static final int STRUCTURED_REPLY = 0x668e33ef;

    private Magic() {}
}
