package io.raid5d.core.member;

import java.nio.channels.FileChannel;

/**
 * Bytes as they lie in a member file: {@code length} bytes at {@code position} of
 * {@code file}, which a server sends to a socket as they are (sendfile). The array owns the
 * channel: never close it.
 */
public record FileRange(FileChannel file, long position, int length) {
}
