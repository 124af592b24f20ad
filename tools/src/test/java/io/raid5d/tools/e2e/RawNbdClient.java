package io.raid5d.tools.e2e;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately minimal NBD client that sends requests no well-behaved client would, such
 * as reads and writes past the end of the export. Fixed newstyle, NBD_OPT_EXPORT_NAME.
 */
final class RawNbdClient implements AutoCloseable {
    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int EINVAL = 22;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long exportSize;
    private long nextHandle = 1;

    RawNbdClient(int port, String export) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        if (in.readLong() != 0x4e42444d41474943L || in.readLong() != 0x49484156454F5054L) {
            throw new IOException("not an NBD newstyle server");
        }
        in.readUnsignedShort(); // handshake flags
        out.writeInt(1 | 2); // FIXED_NEWSTYLE | NO_ZEROES
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        out.writeLong(0x49484156454F5054L);
        out.writeInt(1); // NBD_OPT_EXPORT_NAME
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        exportSize = in.readLong();
        in.readUnsignedShort(); // transmission flags
    }

    long exportSize() {
        return exportSize;
    }

    /** Sends one request and returns the error field of its simple reply (reading data on success). */
    int request(int type, long offset, int length, byte[] payload) throws IOException {
        long handle = nextHandle++;
        out.writeInt(0x25609513);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeInt(length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
        if (in.readInt() != 0x67446698) {
            throw new IOException("bad reply magic");
        }
        int error = in.readInt();
        if (in.readLong() != handle) {
            throw new IOException("reply for another handle");
        }
        if (error == 0 && type == CMD_READ) {
            in.readFully(new byte[length]);
        }
        return error;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
