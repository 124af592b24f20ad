package io.raid5d.nbd.handshake;

/** The answer to NBD_OPT_EXPORT_NAME, which has no option-reply header. */
public record ExportNameReply(long size, int transmissionFlags, boolean padWithZeroes) implements HandshakeReply {
}
