package io.raid5d.nbd.client;

import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.protocol.InfoType;
import io.raid5d.nbd.protocol.Magic;
import io.raid5d.nbd.protocol.Option;
import io.raid5d.nbd.protocol.OptionReplyType;
import io.raid5d.nbd.protocol.TransmissionFlags;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A hand-driven NBD server for one connection: an honest handshake (fixed newstyle, structured
 * replies accepted, OPT_GO answered with a 1 MiB export), then a script that answers requests
 * however the test wants, well or badly.
 */
final class FakeServer implements AutoCloseable {
    static final long SIZE = 1 << 20;

    /** One request as the server read it. */
    record Request(int flags, int type, long handle, long offset, int length, byte[] payload) {}

    /** The transmission phase, scripted. */
    interface Script {
        void serve(FakeServer server) throws IOException, InterruptedException;
    }

    private final ServerSocket listener;
    private final Thread thread;
    private DataInputStream in;
    DataOutputStream out;
    volatile Throwable error;

    FakeServer(Script script) throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        thread = new Thread(() -> {
            try (Socket s = listener.accept()) {
                in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                out = new DataOutputStream(s.getOutputStream());
                handshake();
                script.serve(this);
                out.flush();
            } catch (IOException | InterruptedException | RuntimeException e) {
                error = e;
            }
        }, "fake-nbd-server");
        thread.setDaemon(true);
        thread.start();
    }

    String uri() {
        return "nbd://127.0.0.1:" + listener.getLocalPort() + "/fake";
    }

    private void handshake() throws IOException {
        out.writeLong(Magic.NBDMAGIC);
        out.writeLong(Magic.IHAVEOPT);
        out.writeShort(HandshakeFlags.FIXED_NEWSTYLE | HandshakeFlags.NO_ZEROES);
        out.flush();
        in.readInt(); // client flags
        while (true) {
            if (in.readLong() != Magic.IHAVEOPT) {
                throw new IOException("bad option magic");
            }
            int option = in.readInt();
            byte[] data = in.readNBytes(in.readInt());
            if (option == Option.STRUCTURED_REPLY) {
                optionReply(option, OptionReplyType.ACK, new byte[0]);
            } else if (option == Option.GO) {
                java.nio.ByteBuffer info = java.nio.ByteBuffer.allocate(12);
                info.putShort((short) InfoType.EXPORT).putLong(SIZE)
                        .putShort((short) (TransmissionFlags.HAS_FLAGS | TransmissionFlags.SEND_FLUSH));
                optionReply(option, OptionReplyType.INFO, info.array());
                optionReply(option, OptionReplyType.ACK, new byte[0]);
                out.flush();
                return;
            } else {
                optionReply(option, OptionReplyType.ERR_UNSUP, new byte[0]);
            }
            out.flush();
        }
    }

    private void optionReply(int option, int type, byte[] data) throws IOException {
        out.writeLong(Magic.OPTION_REPLY);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(data.length);
        out.write(data);
    }

    Request readRequest() throws IOException {
        if (in.readInt() != Magic.REQUEST) {
            throw new IOException("bad request magic");
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        long offset = in.readLong();
        int length = in.readInt();
        byte[] payload = type == 1 ? in.readNBytes(length) : null;
        return new Request(flags, type, handle, offset, length, payload);
    }

    void simpleReply(int magic, int error, long handle, byte[] data) throws IOException {
        out.writeInt(magic);
        out.writeInt(error);
        out.writeLong(handle);
        if (data != null) {
            out.write(data);
        }
        out.flush();
    }

    void chunk(int flags, int type, long handle, byte[] payload) throws IOException {
        out.writeInt(Magic.STRUCTURED_REPLY);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    static byte[] offsetData(long offset, byte[] data) {
        return java.nio.ByteBuffer.allocate(8 + data.length).putLong(offset).put(data).array();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
