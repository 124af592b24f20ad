package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** NBD strings: UTF-8, length given by the surrounding message. */
final class Strings {

    /** Reads {@code length} bytes as strict UTF-8. */
    static String decode(ByteBuf in, int length) throws CharacterCodingException {
        String s = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(in.nioBuffer(in.readerIndex(), length))
                .toString();
        in.skipBytes(length);
        return s;
    }

    static byte[] encode(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Strings() {}
}
