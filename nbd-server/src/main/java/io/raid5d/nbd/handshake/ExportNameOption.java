package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import java.nio.charset.CharacterCodingException;
import java.util.Optional;

/**
 * NBD_OPT_EXPORT_NAME: the data is the name; answer with size and flags and start transmission.
 * The option has no error reply, so an unknown export closes the connection.
 */
final class ExportNameOption implements OptionHandler {

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        Optional<BlockExport> export;
        try {
            export = exchange.registry().find(Strings.decode(data, data.readableBytes()));
        } catch (CharacterCodingException e) {
            export = Optional.empty();
        }
        if (export.isEmpty()) {
            exchange.close();
            return;
        }
        exchange.replyExportName(export.get());
        exchange.enterTransmission(export.get());
    }
}
