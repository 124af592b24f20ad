package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.CommandFlags;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.MetaContexts;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.ReplyType;
import io.raid5d.nbd.protocol.TransmissionFlags;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Chunk;
import io.raid5d.nbd.testing.RawNbdClient.OptionReply;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** NBD_OPT_STRUCTURED_REPLY, chunked READ replies, error chunks, meta contexts and BLOCK_STATUS. */
class StructuredRepliesTest {
    private static final int SIZE = 1 << 20;
    private static final int CHUNK = 4096;

    private InMemoryExport disk;
    private RunningServer server;

    @BeforeEach
    void start() {
        disk = InMemoryExport.builder("disk", SIZE).build();
        server = new RunningServer(new MutableExportRegistry().add(disk).add(InMemoryExport.builder("other", 8192).build()),
                NbdServerConfig.defaults().withReadChunkSize(CHUNK));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawNbdClient structured(String... contexts) throws IOException {
        RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        c.negotiateStructuredReplies();
        if (contexts.length > 0) {
            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", contexts));
            readUntilAck(c, Option.SET_META_CONTEXT);
        }
        int flags = c.go("disk").flags();
        assertTrue((flags & TransmissionFlags.SEND_DF) != 0, "DF is advertised once structured replies are on");
        return c;
    }

    @Test
    void dfIsAdvertisedOnlyWithStructuredReplies() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            assertEquals(0, c.go("disk").flags() & TransmissionFlags.SEND_DF);
        }
    }

    @Test
    void readsArriveInChunksAndWithDfInOne() throws IOException {
        byte[] data = new byte[10_000];
        new Random(1).nextBytes(data);
        try (RawNbdClient c = structured()) {
            c.sendRequest(0, Command.WRITE, 1, 5000, data.length, data);
            assertEquals(new Reply(Errno.OK, 1), c.readReply()); // non-READ success: a simple reply is allowed

            c.sendRequest(0, Command.READ, 2, 5000, data.length, null);
            List<Integer> sizes = new ArrayList<>();
            byte[] got = c.readOffsetData(2, 5000, sizes);
            assertEquals(List.of(4096, 4096, 1808), sizes);
            assertArrayEquals(data, got);

            c.sendRequest(CommandFlags.DF, Command.READ, 3, 5000, data.length, null);
            Chunk whole = c.readChunk();
            assertEquals(ReplyType.FLAG_DONE, whole.flags());
            DataInputStream d = whole.data();
            assertEquals(5000, d.readLong());
            assertArrayEquals(data, d.readAllBytes());
        }
    }

    @Test
    void readErrorsAreErrorChunks() throws IOException {
        try (RawNbdClient c = structured()) {
            c.sendRequest(0, Command.READ, 7, SIZE - 10, 11, null);
            Chunk error = c.readChunk();
            assertEquals(7, error.handle());
            assertEquals(ReplyType.ERROR, error.type());
            assertEquals(ReplyType.FLAG_DONE, error.flags());
            DataInputStream d = error.data();
            assertEquals(Errno.EINVAL, d.readInt());
            int messageLength = d.readUnsignedShort();
            assertEquals(messageLength, d.readAllBytes().length);
            assertTrue(messageLength > 0);
        }
    }

    @Test
    void blockStatusReportsHolesAndDataClippedToTheRequest() throws IOException {
        try (RawNbdClient c = structured(MetaContexts.BASE_ALLOCATION)) {
            byte[] data = new byte[64 << 10];
            data[0] = 1;
            c.sendRequest(0, Command.WRITE, 1, 64 << 10, data.length, data);
            assertEquals(Errno.OK, c.readReply().error());

            c.sendRequest(0, Command.BLOCK_STATUS, 2, 0, 256 << 10, null);
            assertEquals(List.of("65536/3", "65536/0", "131072/3"), extents(c.readChunk(), 2));

            c.sendRequest(CommandFlags.REQ_ONE, Command.BLOCK_STATUS, 3, 4096, 256 << 10, null);
            assertEquals(List.of("61440/3"), extents(c.readChunk(), 3));

            c.sendRequest(0, Command.BLOCK_STATUS, 4, 100_000, 1000, null); // inside the data extent: clipped to 1000
            assertEquals(List.of("1000/0"), extents(c.readChunk(), 4));

            c.sendRequest(0, Command.BLOCK_STATUS, 5, 0, 0, null);
            assertEquals(Errno.EINVAL, c.readChunk().data().readInt());
        }
    }

    @Test
    void blockStatusWithoutASelectedContextIsEinval() throws IOException {
        try (RawNbdClient c = structured()) {
            c.sendRequest(0, Command.BLOCK_STATUS, 1, 0, 4096, null);
            Chunk error = c.readChunk();
            assertEquals(ReplyType.ERROR, error.type());
            assertEquals(Errno.EINVAL, error.data().readInt());
        }
        // contexts selected for another export do not carry over to the one GO picks
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            c.negotiateStructuredReplies();
            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("other", MetaContexts.BASE_ALLOCATION));
            assertEquals(2, readUntilAck(c, Option.SET_META_CONTEXT).size());
            c.go("disk");
            c.sendRequest(0, Command.BLOCK_STATUS, 1, 0, 4096, null);
            assertEquals(Errno.EINVAL, c.readChunk().data().readInt());
        }
    }

    @Test
    void metaContextOptionsFollowTheSpec() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
            c.sendOption(Option.LIST_META_CONTEXT, RawNbdClient.metaContextRequest("disk"));
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type(), "structured replies come first");
            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", MetaContexts.BASE_ALLOCATION));
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            c.negotiateStructuredReplies();
            c.sendOption(Option.LIST_META_CONTEXT, RawNbdClient.metaContextRequest("disk"));
            List<OptionReply> all = readUntilAck(c, Option.LIST_META_CONTEXT);
            assertEquals(2, all.size());
            assertMetaContext(all.get(0), 0, MetaContexts.BASE_ALLOCATION);

            c.sendOption(Option.LIST_META_CONTEXT, RawNbdClient.metaContextRequest("disk", "base:"));
            assertMetaContext(readUntilAck(c, Option.LIST_META_CONTEXT).get(0), 0, MetaContexts.BASE_ALLOCATION);

            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", "x-other:thing", MetaContexts.BASE_ALLOCATION));
            List<OptionReply> set = readUntilAck(c, Option.SET_META_CONTEXT);
            assertEquals(2, set.size());
            assertMetaContext(set.get(0), MetaContexts.BASE_ALLOCATION_ID, MetaContexts.BASE_ALLOCATION);

            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("disk", "x-other:thing"));
            assertEquals(1, readUntilAck(c, Option.SET_META_CONTEXT).size(), "nothing selected, just the ACK");

            c.sendOption(Option.SET_META_CONTEXT, RawNbdClient.metaContextRequest("nope", MetaContexts.BASE_ALLOCATION));
            assertEquals(OptionReplyType.ERR_UNKNOWN, c.readOptionReply().type());

            byte[] truncated = RawNbdClient.metaContextRequest("disk", MetaContexts.BASE_ALLOCATION);
            c.sendOption(Option.SET_META_CONTEXT, java.util.Arrays.copyOf(truncated, truncated.length - 3));
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            byte[] trailing = java.util.Arrays.copyOf(truncated, truncated.length + 1);
            c.sendOption(Option.LIST_META_CONTEXT, trailing);
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            c.sendOption(Option.STRUCTURED_REPLY, new byte[] {1});
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());
            assertEquals(SIZE, c.go("disk").size()); // haggling went on after every error
        }
    }

    private static void assertMetaContext(OptionReply r, int id, String name) throws IOException {
        assertEquals(OptionReplyType.META_CONTEXT, r.type());
        DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(r.data()));
        assertEquals(id, d.readInt());
        assertEquals(name, new String(d.readAllBytes(), StandardCharsets.UTF_8));
    }

    private static List<OptionReply> readUntilAck(RawNbdClient c, int option) throws IOException {
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = c.readOptionReply();
            assertEquals(option, r.option());
            replies.add(r);
            if (r.type() == OptionReplyType.ACK) {
                return replies;
            }
            assertEquals(OptionReplyType.META_CONTEXT, r.type(), r.text());
        }
    }

    /** "length/flags" per descriptor of a BLOCK_STATUS chunk for base:allocation. */
    private static List<String> extents(Chunk chunk, long handle) throws IOException {
        assertEquals(handle, chunk.handle());
        assertEquals(ReplyType.BLOCK_STATUS, chunk.type());
        assertEquals(ReplyType.FLAG_DONE, chunk.flags());
        DataInputStream d = chunk.data();
        assertEquals(MetaContexts.BASE_ALLOCATION_ID, d.readInt());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < (chunk.payload().length - 4) / 8; i++) {
            out.add(Integer.toUnsignedString(d.readInt()) + "/" + d.readInt());
        }
        return out;
    }
}
