package io.raid5d.nbd.protocol;

/** 16-bit handshake flags the server sends, and 32-bit client flags the client answers with. */
public final class HandshakeFlags {
    public static final int FIXED_NEWSTYLE = 1;
    public static final int NO_ZEROES = 1 << 1;

    public static final int CLIENT_FIXED_NEWSTYLE = 1;
    public static final int CLIENT_NO_ZEROES = 1 << 1;
    /** Every client flag this server understands; any other bit closes the connection (spec: MUST). */
    public static final int KNOWN_CLIENT_FLAGS = CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES;

    private HandshakeFlags() {}
}
