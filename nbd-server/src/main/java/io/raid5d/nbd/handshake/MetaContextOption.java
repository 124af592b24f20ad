package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.MetaContexts;
import io.raid5d.nbd.protocol.OptionReplyType;
import java.nio.charset.CharacterCodingException;
import java.util.Optional;

/**
 * NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. Data: u32 export name length, name,
 * u32 query count, then per query u32 length and the query. The only context this server has
 * is {@code base:allocation}. LIST with no query, or the namespace query {@code base:}, lists
 * it; SET selects it only when asked for by its full name, and replaces any earlier selection.
 * Both need structured replies first (NBD_REP_ERR_INVALID otherwise); an unknown export is
 * NBD_REP_ERR_UNKNOWN; malformed data is NBD_REP_ERR_INVALID.
 */
final class MetaContextOption implements OptionHandler {
    private static final int MAX_STRING = 4096;

    private final boolean set;

    MetaContextOption(boolean set) {
        this.set = set;
    }

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        if (!exchange.session().structuredReplies()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "negotiate NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        String exportName;
        boolean match = false;
        try {
            exportName = readString(data);
            if (data.readableBytes() < 4) {
                throw new IllegalArgumentException("no query count");
            }
            long queries = data.readUnsignedInt();
            if (queries == 0) {
                match = !set; // LIST with no query lists everything; SET with none selects nothing
            }
            for (long i = 0; i < queries; i++) {
                String query = readString(data);
                match |= MetaContexts.BASE_ALLOCATION.equals(query) || (!set && MetaContexts.BASE_NAMESPACE.equals(query));
            }
            if (data.isReadable()) {
                throw new IllegalArgumentException("trailing bytes after the queries");
            }
        } catch (IllegalArgumentException | CharacterCodingException e) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "malformed meta context request: " + e.getMessage());
            return;
        }
        Optional<BlockExport> export = exchange.registry().find(exportName);
        if (export.isEmpty()) {
            exchange.replyError(option, OptionReplyType.ERR_UNKNOWN, "unknown export: " + exportName);
            return;
        }
        if (set) {
            exchange.session().selectMetaContexts(export.get().name(), match);
        }
        if (match) {
            byte[] name = Strings.encode(MetaContexts.BASE_ALLOCATION);
            // LIST replies carry id 0 (reserved); SET replies carry the id BLOCK_STATUS will use
            exchange.reply(option, OptionReplyType.META_CONTEXT, exchange.alloc().buffer(4 + name.length)
                    .writeInt(set ? MetaContexts.BASE_ALLOCATION_ID : 0)
                    .writeBytes(name));
        }
        exchange.reply(option, OptionReplyType.ACK, Unpooled.EMPTY_BUFFER);
    }

    /** u32 length then that many bytes of UTF-8, checked against what the option holds. */
    private static String readString(ByteBuf data) throws CharacterCodingException {
        if (data.readableBytes() < 4) {
            throw new IllegalArgumentException("string length missing");
        }
        long length = data.readUnsignedInt();
        if (length > MAX_STRING || length > data.readableBytes()) {
            throw new IllegalArgumentException("string of " + length + " bytes does not fit");
        }
        return Strings.decode(data, (int) length);
    }
}
