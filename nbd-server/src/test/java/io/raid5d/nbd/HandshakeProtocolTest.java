package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.TransmissionFlags;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.ExportInfo;
import io.raid5d.nbd.testing.RawNbdClient.OptionReply;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HandshakeProtocolTest {
    private static final int FIXED = CLIENT_FIXED_NEWSTYLE;
    private static final int FIXED_NO_ZEROES = CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES;
    private static final long DISK_SIZE = 1 << 20;
    private static final int FLAGS_RW = TransmissionFlags.HAS_FLAGS | TransmissionFlags.SEND_FLUSH
            | TransmissionFlags.SEND_FUA | TransmissionFlags.CAN_MULTI_CONN | TransmissionFlags.SEND_CACHE
            | TransmissionFlags.SEND_TRIM | TransmissionFlags.SEND_WRITE_ZEROES | TransmissionFlags.SEND_FAST_ZERO;

    private MutableExportRegistry registry;
    private RunningServer server;

    @BeforeEach
    void start() {
        registry = new MutableExportRegistry()
                .add(InMemoryExport.builder("disk", DISK_SIZE).description("the disk").build())
                .add(InMemoryExport.builder("other", 4096).canMultiConn(false).build());
        server = new RunningServer(registry);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        try (RawNbdClient c = RawNbdClient.connect(server.address)) {
            assertEquals(HandshakeFlags.FIXED_NEWSTYLE | HandshakeFlags.NO_ZEROES, c.readGreeting());
        }
    }

    @Test
    void unknownClientFlagsCloseTheConnection() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED | 1 << 7)) {
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void exportNameWithoutNoZeroesPadsWith124Zeroes() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED)) {
            c.sendOption(Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertEquals(DISK_SIZE, c.readLong());
            assertEquals(FLAGS_RW, c.readUnsignedShort());
            assertArrayEquals(new byte[124], c.readBytes(124));
            assertTransmissionWorks(c);
        }
    }

    @Test
    void exportNameWithNoZeroesSendsNoPadding() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertEquals(DISK_SIZE, c.readLong());
            assertEquals(FLAGS_RW, c.readUnsignedShort());
            assertTransmissionWorks(c); // the next bytes are the reply header, not padding
        }
    }

    @Test
    void exportNameOfUnknownExportCloses() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void emptyNameSelectsTheDefaultExport() throws IOException {
        registry.setDefault("other");
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.EXPORT_NAME, new byte[0]);
            assertEquals(4096, c.readLong());
        }
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            assertEquals(4096, c.go("").size());
        }
    }

    @Test
    void emptyNameWithoutDefaultIsUnknown() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.INFO, RawNbdClient.infoRequest(""));
            assertEquals(OptionReplyType.ERR_UNKNOWN, c.readOptionReply().type());
        }
    }

    @Test
    void infoAnswersRequestedItemsAndAlwaysExport() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.INFO, RawNbdClient.infoRequest("disk", InfoType.NAME, InfoType.DESCRIPTION, InfoType.BLOCK_SIZE));
            List<OptionReply> replies = readUntilAck(c, Option.INFO);
            assertEquals(4, replies.size());
            DataInputStream export = data(replies.get(0));
            assertEquals(InfoType.EXPORT, export.readUnsignedShort());
            assertEquals(DISK_SIZE, export.readLong());
            assertEquals(FLAGS_RW, export.readUnsignedShort());
            assertEquals(12, replies.get(0).data().length);
            assertInfoString(replies.get(1), InfoType.NAME, "disk");
            assertInfoString(replies.get(2), InfoType.DESCRIPTION, "the disk");
            DataInputStream block = data(replies.get(3));
            assertEquals(InfoType.BLOCK_SIZE, block.readUnsignedShort());
            assertEquals(1, block.readInt());
            assertEquals(4096, block.readInt());
            assertEquals(32 << 20, block.readInt());
            assertEquals(14, replies.get(3).data().length);

            // INFO stays in haggling: another option is answered
            c.sendOption(Option.INFO, RawNbdClient.infoRequest("other"));
            List<OptionReply> plain = readUntilAck(c, Option.INFO);
            assertEquals(1, plain.size(), "block sizes are sent only when asked for");
            DataInputStream other = data(plain.get(0));
            assertEquals(InfoType.EXPORT, other.readUnsignedShort());
            assertEquals(4096, other.readLong());
            assertEquals(FLAGS_RW & ~TransmissionFlags.CAN_MULTI_CONN, other.readUnsignedShort());
        }
    }

    @Test
    void infoOnUnknownExportIsErrUnknownAndHagglingGoesOn() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.INFO, RawNbdClient.infoRequest("nope", InfoType.NAME));
            OptionReply r = c.readOptionReply();
            assertEquals(Option.INFO, r.option());
            assertEquals(OptionReplyType.ERR_UNKNOWN, r.type());
            c.sendOption(Option.GO, RawNbdClient.infoRequest("nope"));
            assertEquals(OptionReplyType.ERR_UNKNOWN, c.readOptionReply().type());
            assertEquals(DISK_SIZE, c.go("disk").size());
            assertTransmissionWorks(c);
        }
    }

    @Test
    void malformedInfoLengthsAreErrInvalid() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.INFO, new byte[] {0, 0});
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            byte[] nameTooLong = RawNbdClient.infoRequest("disk");
            nameTooLong[3] = 50; // name length beyond the option
            c.sendOption(Option.GO, nameTooLong);
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            byte[] countTooHigh = RawNbdClient.infoRequest("disk", InfoType.NAME);
            countTooHigh[countTooHigh.length - 3] = 2; // claims two requests, carries one
            c.sendOption(Option.INFO, countTooHigh);
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            byte[] trailing = Arrays.copyOf(RawNbdClient.infoRequest("disk"), RawNbdClient.infoRequest("disk").length + 1);
            c.sendOption(Option.GO, trailing);
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());

            assertEquals(DISK_SIZE, c.go("disk").size());
        }
    }

    @Test
    void goEntersTransmission() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            ExportInfo info = c.go("disk");
            assertEquals(DISK_SIZE, info.size());
            assertEquals(FLAGS_RW, info.flags());
            assertTransmissionWorks(c);
        }
    }

    @Test
    void requestsPipelinedRightAfterGoAreServed() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.queueOption(Option.GO, RawNbdClient.infoRequest("disk"));
            c.queueRequest(0, Command.WRITE, 1, 0, 3, new byte[] {7, 8, 9});
            c.queueRequest(0, Command.READ, 2, 0, 3, null);
            c.flush();
            assertEquals(DISK_SIZE, c.readInfoUntilAck(Option.GO).size());
            assertEquals(new Reply(0, 1), c.readReply());
            assertEquals(new Reply(0, 2), c.readReply());
            assertArrayEquals(new byte[] {7, 8, 9}, c.readBytes(3));
        }
    }

    @Test
    void listReportsEveryExportThenAck() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.LIST, new byte[0]);
            List<OptionReply> replies = readUntilAck(c, Option.LIST);
            assertEquals(2, replies.size());
            assertServer(replies.get(0), "disk", "the disk");
            assertServer(replies.get(1), "other", "");
        }
    }

    @Test
    void listWithDataIsErrInvalid() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.LIST, new byte[] {1});
            assertEquals(OptionReplyType.ERR_INVALID, c.readOptionReply().type());
        }
    }

    @Test
    void abortIsAcknowledgedThenClosed() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.ABORT, new byte[0]);
            OptionReply r = c.readOptionReply();
            assertEquals(Option.ABORT, r.option());
            assertEquals(OptionReplyType.ACK, r.type());
            assertEquals(0, r.data().length);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void unknownOptionsAreErrUnsupAndTheirDataSkipped() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.sendOption(Option.EXTENDED_HEADERS, new byte[0]);
            OptionReply r = c.readOptionReply();
            assertEquals(Option.EXTENDED_HEADERS, r.option());
            assertEquals(OptionReplyType.ERR_UNSUP, r.type());

            byte[] junk = new byte[1000];
            Arrays.fill(junk, (byte) 0x49); // looks like IHAVEOPT bytes, must not be parsed as options
            c.sendOption(4242, junk);
            r = c.readOptionReply();
            assertEquals(4242, r.option());
            assertEquals(OptionReplyType.ERR_UNSUP, r.type());
            assertEquals(DISK_SIZE, c.go("disk").size());
        }
    }

    @Test
    void optionLongerThanTheLimitCloses() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            c.queueRaw(optionHeader(Option.INFO, (64 << 10) + 1));
            c.flush();
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void badOptionMagicCloses() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, FIXED_NO_ZEROES)) {
            byte[] header = optionHeader(Option.LIST, 0);
            header[0] ^= 1;
            c.queueRaw(header);
            c.flush();
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void nonFixedNewstyleClientMayOnlySendExportName() throws IOException {
        try (RawNbdClient c = RawNbdClient.handshake(server.address, 0)) {
            c.sendOption(Option.LIST, new byte[0]);
            assertTrue(c.closedByServer());
        }
        try (RawNbdClient c = RawNbdClient.handshake(server.address, 0)) {
            c.sendOption(Option.EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertEquals(DISK_SIZE, c.readLong());
            assertEquals(FLAGS_RW, c.readUnsignedShort());
            assertArrayEquals(new byte[124], c.readBytes(124));
        }
    }

    private static byte[] optionHeader(int option, int length) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putLong(Magic.IHAVEOPT).putInt(option).putInt(length);
        return b.array();
    }

    private static void assertTransmissionWorks(RawNbdClient c) throws IOException {
        c.sendRequest(0, Command.WRITE, 11, 100, 4, new byte[] {1, 2, 3, 4});
        assertEquals(new Reply(0, 11), c.readReply());
        c.sendRequest(0, Command.READ, 12, 100, 4, null);
        assertEquals(new Reply(0, 12), c.readReply());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, c.readBytes(4));
    }

    private static List<OptionReply> readUntilAck(RawNbdClient c, int option) throws IOException {
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = c.readOptionReply();
            assertEquals(option, r.option());
            if (r.type() == OptionReplyType.ACK) {
                assertEquals(0, r.data().length);
                return replies;
            }
            replies.add(r);
        }
    }

    private static DataInputStream data(OptionReply r) {
        return new DataInputStream(new ByteArrayInputStream(r.data()));
    }

    private static void assertInfoString(OptionReply r, int type, String expected) throws IOException {
        assertEquals(OptionReplyType.INFO, r.type());
        DataInputStream d = data(r);
        assertEquals(type, d.readUnsignedShort());
        assertEquals(expected, new String(d.readAllBytes(), StandardCharsets.UTF_8));
    }

    private static void assertServer(OptionReply r, String name, String description) throws IOException {
        assertEquals(OptionReplyType.SERVER, r.type());
        DataInputStream d = data(r);
        int length = d.readInt();
        assertEquals(name, new String(d.readNBytes(length), StandardCharsets.UTF_8));
        assertEquals(description, new String(d.readAllBytes(), StandardCharsets.UTF_8));
    }
}
