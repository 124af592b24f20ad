package io.raid5d.nbd.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.ReplyType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Speaks NBD bytes directly, so tests see exactly what the server sends. Output is buffered:
 * nothing leaves before {@link #flush()} (or a method that reads), which lets tests pipeline.
 * A read timeout only guards against a hung server.
 */
public final class RawNbdClient implements AutoCloseable {
    private static final int HANG_GUARD_MILLIS = 20_000;

    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;

    private RawNbdClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    /** After the server ACKed NBD_OPT_STARTTLS: runs the TLS handshake; later bytes are encrypted. */
    public void startTls(javax.net.ssl.SSLContext context) throws IOException {
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket(socket, "127.0.0.1", socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = new DataInputStream(new BufferedInputStream(tls.getInputStream()));
        out = new DataOutputStream(new BufferedOutputStream(tls.getOutputStream(), 1 << 16));
    }

    /** Sends NBD_OPT_STARTTLS, expects its ACK, then runs the TLS handshake. */
    public void startTlsAndNegotiate(javax.net.ssl.SSLContext context) throws IOException {
        sendOption(io.raid5d.nbd.protocol.Option.STARTTLS, new byte[0]);
        OptionReply r = readOptionReply();
        assertEquals(io.raid5d.nbd.protocol.OptionReplyType.ACK, r.type(), r.text());
        startTls(context);
    }

    public static RawNbdClient connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(HANG_GUARD_MILLIS);
        socket.connect(address, HANG_GUARD_MILLIS);
        return new RawNbdClient(socket);
    }

    /** Connects, checks the greeting, sends client flags. */
    public static RawNbdClient handshake(InetSocketAddress address, int clientFlags) throws IOException {
        RawNbdClient c = connect(address);
        c.readGreeting();
        c.sendClientFlags(clientFlags);
        return c;
    }

    /** Reads NBDMAGIC, IHAVEOPT and returns the handshake flags. */
    public int readGreeting() throws IOException {
        assertEquals(Magic.NBDMAGIC, in.readLong(), "NBDMAGIC");
        assertEquals(Magic.IHAVEOPT, in.readLong(), "IHAVEOPT");
        return in.readUnsignedShort();
    }

    public void sendClientFlags(int flags) throws IOException {
        out.writeInt(flags);
        out.flush();
    }

    public void sendOption(int option, byte[] data) throws IOException {
        queueOption(option, data);
        out.flush();
    }

    public void queueOption(int option, byte[] data) throws IOException {
        out.writeLong(Magic.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
    }

    public record OptionReply(int option, int type, byte[] data) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    public OptionReply readOptionReply() throws IOException {
        assertEquals(Magic.OPTION_REPLY, in.readLong(), "option reply magic");
        int option = in.readInt();
        int type = in.readInt();
        int length = in.readInt();
        byte[] data = new byte[length];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** NBD_OPT_INFO / NBD_OPT_GO data. */
    public static byte[] infoRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        try {
            d.writeInt(n.length);
            d.write(n);
            d.writeShort(infos.length);
            for (int i : infos) {
                d.writeShort(i);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    /** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT data. */
    public static byte[] metaContextRequest(String export, String... queries) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        try {
            byte[] n = export.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] qb = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(qb.length);
                d.write(qb);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    public record ExportInfo(long size, int flags) {}

    /** NBD_OPT_GO; fails the test unless the server answers INFO... ACK. */
    public ExportInfo go(String name, int... infos) throws IOException {
        sendOption(Option.GO, infoRequest(name, infos));
        return readInfoUntilAck(Option.GO);
    }

    public ExportInfo readInfoUntilAck(int option) throws IOException {
        ExportInfo info = null;
        while (true) {
            OptionReply r = readOptionReply();
            assertEquals(option, r.option());
            if (r.type() == OptionReplyType.ACK) {
                if (info == null) {
                    fail("ACK without NBD_INFO_EXPORT");
                }
                return info;
            }
            assertEquals(OptionReplyType.INFO, r.type(), () -> "reply type 0x" + Integer.toHexString(r.type()) + " " + r.text());
            DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(r.data()));
            if (d.readUnsignedShort() == InfoType.EXPORT) {
                info = new ExportInfo(d.readLong(), d.readUnsignedShort());
            }
        }
    }

    public void sendRequest(int flags, int type, long handle, long offset, int length, byte[] payload) throws IOException {
        queueRequest(flags, type, handle, offset, length, payload);
        out.flush();
    }

    public void queueRequest(int flags, int type, long handle, long offset, int length, byte[] payload) throws IOException {
        out.writeInt(Magic.REQUEST);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeInt(length);
        if (payload != null) {
            out.write(payload);
        }
    }

    public void queueRaw(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    public void flush() throws IOException {
        out.flush();
    }

    public record Reply(int error, long handle) {}

    public Reply readReply() throws IOException {
        assertEquals(Magic.SIMPLE_REPLY, in.readInt(), "simple reply magic");
        return new Reply(in.readInt(), in.readLong());
    }

    /** One structured reply chunk. */
    public record Chunk(int flags, int type, long handle, byte[] payload) {
        public DataInputStream data() {
            return new DataInputStream(new java.io.ByteArrayInputStream(payload));
        }
    }

    public Chunk readChunk() throws IOException {
        assertEquals(Magic.STRUCTURED_REPLY, in.readInt(), "structured reply magic");
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        int length = in.readInt();
        return new Chunk(flags, type, handle, readBytes(length));
    }

    /** Sends NBD_OPT_STRUCTURED_REPLY and expects its ACK. */
    /**
     * Reads a READ's structured reply: OFFSET_DATA chunks for {@code handle}, in order from
     * {@code offset}, up to the one flagged DONE; returns their data, adds each chunk's size
     * to {@code sizes}.
     */
    public byte[] readOffsetData(long handle, long offset, List<Integer> sizes) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long expectOffset = offset;
        while (true) {
            Chunk chunk = readChunk();
            assertEquals(handle, chunk.handle());
            assertEquals(ReplyType.OFFSET_DATA, chunk.type());
            DataInputStream d = chunk.data();
            assertEquals(expectOffset, d.readLong());
            byte[] bytes = d.readAllBytes();
            got.write(bytes);
            sizes.add(bytes.length);
            expectOffset += bytes.length;
            if ((chunk.flags() & ReplyType.FLAG_DONE) != 0) {
                return got.toByteArray();
            }
        }
    }

    public void negotiateStructuredReplies() throws IOException {
        sendOption(Option.STRUCTURED_REPLY, new byte[0]);
        OptionReply r = readOptionReply();
        assertEquals(OptionReplyType.ACK, r.type(), r.text());
    }

    public byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    public long readLong() throws IOException {
        return in.readLong();
    }

    public int readUnsignedShort() throws IOException {
        return in.readUnsignedShort();
    }

    /** True once the server closed the connection; bytes it still sends before that fail the test. */
    public boolean closedByServer() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) {
                fail("expected the server to close, but it sent byte " + b);
            }
            return true;
        } catch (EOFException | SocketException e) {
            return true; // reset counts as closed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
