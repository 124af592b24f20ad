package io.raid5d.nbd.handshake;

/** A message the server sends during option haggling. */
public sealed interface HandshakeReply permits OptionReply, ExportNameReply {
}
