package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.transmission.AdvertisedFlags;
import java.nio.charset.CharacterCodingException;
import java.util.Optional;

/**
 * NBD_OPT_INFO and NBD_OPT_GO: data is u32 name length, name, u16 request count, u16 requests.
 * Answers NBD_INFO_EXPORT always, NAME, DESCRIPTION and BLOCK_SIZE when asked, then ACK; GO
 * then enters transmission.
 *
 * <p>BLOCK_SIZE is sent only on request because the export's minimum may be larger than the
 * spec's default of 1: a client that asked in its GO has agreed to align to it and is held to
 * it; one that did not keeps the defaults (minimum 1, maximum 32 MiB) and is not.
 */
final class InfoOption implements OptionHandler {
    private final boolean go;

    InfoOption(boolean go) {
        this.go = go;
    }

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        if (data.readableBytes() < 4) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "option too short for a name length");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength + 2 > data.readableBytes()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "name length exceeds the option");
            return;
        }
        String name;
        try {
            name = Strings.decode(data, (int) nameLength);
        } catch (CharacterCodingException e) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "export name is not UTF-8");
            return;
        }
        int requests = data.readUnsignedShort();
        if (data.readableBytes() != 2 * requests) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "information request count does not match the option length");
            return;
        }
        boolean wantName = false;
        boolean wantDescription = false;
        boolean wantBlockSize = false;
        for (int i = 0; i < requests; i++) {
            int type = data.readUnsignedShort();
            wantName |= type == InfoType.NAME;
            wantDescription |= type == InfoType.DESCRIPTION;
            wantBlockSize |= type == InfoType.BLOCK_SIZE;
        }
        Optional<BlockExport> found = exchange.registry().find(name);
        if (found.isEmpty()) {
            exchange.replyError(option, OptionReplyType.ERR_UNKNOWN,
                    name.isEmpty() ? "no default export" : "unknown export: " + name);
            return;
        }
        BlockExport export = found.get();
        exchange.reply(option, OptionReplyType.INFO, exchange.alloc().buffer(12)
                .writeShort(InfoType.EXPORT)
                .writeLong(export.size())
                .writeShort(AdvertisedFlags.of(export, exchange.session())));
        if (wantName) {
            byte[] canonical = Strings.encode(export.name());
            exchange.reply(option, OptionReplyType.INFO, exchange.alloc().buffer(2 + canonical.length)
                    .writeShort(InfoType.NAME)
                    .writeBytes(canonical));
        }
        if (wantDescription) {
            byte[] description = Strings.encode(export.description());
            exchange.reply(option, OptionReplyType.INFO, exchange.alloc().buffer(2 + description.length)
                    .writeShort(InfoType.DESCRIPTION)
                    .writeBytes(description));
        }
        if (wantBlockSize) {
            int minimum = export.minimumBlockSize();
            int maximum = export.maximumPayload();
            int preferred = Math.min(Math.max(export.preferredBlockSize(), minimum), maximum);
            exchange.reply(option, OptionReplyType.INFO, exchange.alloc().buffer(14)
                    .writeShort(InfoType.BLOCK_SIZE)
                    .writeInt(minimum)
                    .writeInt(preferred)
                    .writeInt(maximum));
        }
        exchange.reply(option, OptionReplyType.ACK, Unpooled.EMPTY_BUFFER);
        if (go) {
            exchange.session().blockSizeAgreed(wantBlockSize);
            exchange.enterTransmission(export);
        }
    }
}
