package io.raid5d.nbd.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.ReplyType;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server that answers badly is never believed: each kind of bad answer fails the request (and
 * the connection) with a message that says what the server did, and no byte it sent outside the
 * request reaches the caller's buffer.
 */
class MisbehavingServerTest {
    private static final ClientSettings SETTINGS = ClientSettings.defaults().withRequestTimeout(Duration.ofSeconds(10));

    /** Reads 4 KiB at 8 KiB through a server scripted by {@code script}; returns the failure's message. */
    private static String readFailure(FakeServer.Script script, ByteBuffer buffer) throws Exception {
        try (FakeServer server = new FakeServer(script);
             NbdClient client = NbdClient.connect(NbdUri.parse(server.uri()), SETTINGS)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.read(8192, buffer.slice(4096, 4096)).get(20, TimeUnit.SECONDS));
            assertFalse(client.isOpen(), "the connection is not trusted after a bad reply");
            ExecutionException later = assertThrows(ExecutionException.class,
                    () -> client.read(0, ByteBuffer.allocate(512)).get(20, TimeUnit.SECONDS));
            assertInstanceOf(java.io.IOException.class, later.getCause());
            return e.getCause().getMessage();
        }
    }

    private static ByteBuffer guarded() {
        ByteBuffer b = ByteBuffer.allocate(12288);
        Arrays.fill(b.array(), (byte) 0x77);
        return b;
    }

    private static void assertGuardsIntact(ByteBuffer b) {
        byte[] before = Arrays.copyOfRange(b.array(), 0, 4096);
        byte[] after = Arrays.copyOfRange(b.array(), 8192, 12288);
        byte[] guard = new byte[4096];
        Arrays.fill(guard, (byte) 0x77);
        assertArrayEquals(guard, before, "bytes before the request's buffer were written");
        assertArrayEquals(guard, after, "bytes after the request's buffer were written");
    }

    @Test
    void garbageInsteadOfAReply() throws Exception {
        String why = readFailure(s -> {
            s.readRequest();
            s.out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes());
            s.out.flush();
            Thread.sleep(500);
        }, guarded());
        assertTrue(why.contains("bad reply magic"), why);
    }

    @Test
    void aReplyToAHandleNobodySent() throws Exception {
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.simpleReply(Magic.SIMPLE_REPLY, 0, r.handle() + 1000, null);
            Thread.sleep(500);
        }, guarded());
        assertTrue(why.contains("which no request in flight has"), why);
    }

    @Test
    void aShortReplyAndThenSilence() throws Exception {
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.out.writeInt(Magic.STRUCTURED_REPLY);
            s.out.writeShort(ReplyType.FLAG_DONE);
            s.out.writeShort(ReplyType.OFFSET_DATA);
            s.out.writeLong(r.handle());
            s.out.writeInt(8 + 4096);
            s.out.writeLong(r.offset());
            s.out.write(new byte[100]); // then the connection closes
            s.out.flush();
        }, guarded());
        assertTrue(why.contains("lost"), why);
    }

    @Test
    void dataOutsideTheRequestNeverLands() throws Exception {
        ByteBuffer b = guarded();
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.chunk(ReplyType.FLAG_DONE, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset() + 2048, new byte[4096]));
            Thread.sleep(500);
        }, b);
        assertTrue(why.contains("data for bytes"), why);
        assertGuardsIntact(b);
    }

    @Test
    void theSameBytesTwiceInOneReply() throws Exception {
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.chunk(0, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset(), new byte[2048]));
            s.chunk(ReplyType.FLAG_DONE, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset(), new byte[2048]));
            Thread.sleep(500);
        }, guarded());
        assertTrue(why.contains("sent twice"), why);
    }

    @Test
    void aReplyThatDoesNotCoverTheRead() throws Exception {
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.chunk(ReplyType.FLAG_DONE, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset(), new byte[1024]));
            Thread.sleep(500);
        }, guarded());
        assertTrue(why.contains("covers 1024 of its 4096 bytes"), why);
    }

    @Test
    void aSimpleReplyWithDataAfterStructuredRepliesWereAgreed() throws Exception {
        String why = readFailure(s -> {
            FakeServer.Request r = s.readRequest();
            s.simpleReply(Magic.SIMPLE_REPLY, 0, r.handle(), new byte[4096]);
            Thread.sleep(500);
        }, guarded());
        assertTrue(why.contains("simple reply with data"), why);
    }

    @Test
    void noReplyAtAllTimesOut() throws Exception {
        try (FakeServer server = new FakeServer(s -> {
                s.readRequest();
                Thread.sleep(3000);
            });
             NbdClient client = NbdClient.connect(NbdUri.parse(server.uri()),
                     ClientSettings.defaults().withRequestTimeout(Duration.ofMillis(400)))) {
            long start = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.read(0, ByteBuffer.allocate(4096)).get(20, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getCause().getMessage().contains("no reply to READ of 4096 bytes at 0 within 0.4 s"), e.getCause().getMessage());
            assertTrue(ms >= 400 && ms < 2500, "failed after " + ms + " ms");
            assertFalse(client.isOpen());
        }
    }

    /** Well-formed chunks in any order, holes included, make the whole read. */
    @Test
    void holesAndDataOutOfOrderMakeTheRead() throws Exception {
        try (FakeServer server = new FakeServer(s -> {
                FakeServer.Request r = s.readRequest();
                byte[] ones = new byte[1024];
                Arrays.fill(ones, (byte) 1);
                s.chunk(0, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset() + 3072, ones));
                s.chunk(0, ReplyType.OFFSET_HOLE, r.handle(), ByteBuffer.allocate(12).putLong(r.offset()).putInt(2048).array());
                s.chunk(ReplyType.FLAG_DONE, ReplyType.OFFSET_DATA, r.handle(), FakeServer.offsetData(r.offset() + 2048, ones));
                Thread.sleep(300);
            });
             NbdClient client = NbdClient.connect(NbdUri.parse(server.uri()), SETTINGS)) {
            ByteBuffer b = guarded();
            client.read(8192, b.slice(4096, 4096)).get(20, TimeUnit.SECONDS);
            byte[] expect = new byte[4096];
            Arrays.fill(expect, 2048, 4096, (byte) 1);
            assertArrayEquals(expect, Arrays.copyOfRange(b.array(), 4096, 8192));
            assertGuardsIntact(b);
        }
    }

    @Test
    void anErrorChunkFailsTheRequestButNotTheConnection() throws Exception {
        try (FakeServer server = new FakeServer(s -> {
                FakeServer.Request r = s.readRequest();
                byte[] msg = "disk on fire".getBytes();
                s.chunk(ReplyType.FLAG_DONE, ReplyType.ERROR, r.handle(),
                        ByteBuffer.allocate(6 + msg.length).putInt(5).putShort((short) msg.length).put(msg).array());
                FakeServer.Request again = s.readRequest();
                s.chunk(ReplyType.FLAG_DONE, ReplyType.OFFSET_DATA, again.handle(), FakeServer.offsetData(again.offset(), new byte[512]));
                Thread.sleep(300);
            });
             NbdClient client = NbdClient.connect(NbdUri.parse(server.uri()), SETTINGS)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.read(0, ByteBuffer.allocate(512)).get(20, TimeUnit.SECONDS));
            NbdErrorReply reply = assertInstanceOf(NbdErrorReply.class, e.getCause());
            assertTrue(reply.getMessage().contains("EIO (disk on fire)"), reply.getMessage());
            assertTrue(client.isOpen());
            client.read(0, ByteBuffer.allocate(512)).get(20, TimeUnit.SECONDS);
        }
    }
}
