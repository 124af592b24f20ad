package io.raid5d.remote;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.nbd.client.NbdClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;

/**
 * A member that is an NBD export: each call sends its request(s) on the member's connection and
 * waits for the reply. Safe for many threads at once, as {@link MemberDevice} requires: the
 * connections carry their requests in flight together (several connections, round-robin, when
 * the server offers multi-conn). A scattering read or gathering write sends one request per
 * buffer, all in flight at once on one connection.
 *
 * <p>Any failure of the connection (a request unanswered within the client's timeout, a lost
 * connection, a protocol violation) fails this and every later call with an IOException, which
 * the engine treats as it treats a disk's I/O error; an error reply fails that request only.
 * The device never reconnects: a member that comes back is re-added as a new device, through
 * the bitmap, like a disk that was pulled and put back.
 */
public final class NbdMemberDevice implements MemberDevice {
    /** How long past the client's own request timeout a caller waits before giving up on it. */
    private static final long GRACE_SECONDS = 5;

    /** The member's connections (several only when the server offers multi-conn); requests go round-robin. */
    private final NbdClient[] clients;
    private final AtomicInteger next = new AtomicInteger();
    private final boolean readOnly;
    private final String name;

    NbdMemberDevice(List<NbdClient> clients, boolean readOnly) {
        this.clients = clients.toArray(NbdClient[]::new);
        this.readOnly = readOnly || this.clients[0].export().readOnly();
        this.name = this.clients[0].uri().toString();
    }

    /**
     * The connection for the next call. When any connection has failed, every call fails: the
     * member is as gone as a disk whose cable was pulled, whichever socket noticed first.
     */
    private NbdClient client() throws IOException {
        for (NbdClient c : clients) {
            if (!c.isOpen()) {
                throw new IOException(name + ": " + c.failure().getMessage(), c.failure());
            }
        }
        return clients[Math.floorMod(next.getAndIncrement(), clients.length)];
    }

    /** Connections this member uses. */
    public int connections() {
        return clients.length;
    }

    @Override
    public String path() {
        return name;
    }

    @Override
    public long sizeBytes() {
        return clients[0].export().size();
    }

    /** An export is a block device on the far side: no file to lock, no page cache here. */
    @Override
    public boolean isBlockDevice() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        read(offset, new ByteBuffer[] {dst});
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        write(offset, new ByteBuffer[] {src});
    }

    @Override
    public void read(long offset, ByteBuffer[] dsts) throws IOException {
        transfer("read", offset, dsts, NbdClient::read);
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) throws IOException {
        refuseIfReadOnly();
        transfer("write", offset, srcs, (c, at, b) -> c.write(at, b, false));
    }

    /** One request per buffer, at adjacent offsets on one connection, all in flight at once; advances each buffer to its limit. */
    private void transfer(String what, long offset, ByteBuffer[] buffers, Request request) throws IOException {
        NbdClient client = client();
        long total = 0;
        CompletableFuture<?>[] parts = new CompletableFuture<?>[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            parts[i] = request.send(client, offset + total, buffers[i]);
            total += buffers[i].remaining();
        }
        await(parts.length == 1 ? parts[0] : CompletableFuture.allOf(parts), what, offset, total);
        for (ByteBuffer b : buffers) {
            b.position(b.limit());
        }
    }

    private interface Request {
        CompletableFuture<Void> send(NbdClient client, long offset, ByteBuffer buffer);
    }

    /** One FLUSH is enough: with several connections the server promised (multi-conn) that it covers all of them. */
    @Override
    public void sync() throws IOException {
        await(client().flush(), "flush", 0, 0);
    }

    /** True while the connection serves (false once it failed: the member is gone until re-added). */
    public boolean connected() {
        for (NbdClient c : clients) {
            if (!c.isOpen()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (NbdClient c : clients) {
            c.close();
        }
    }

    private void refuseIfReadOnly() throws IOException {
        if (readOnly) {
            throw new IOException(name + ": opened read-only");
        }
    }

    private void await(CompletableFuture<?> request, String what, long offset, long length) throws IOException {
        long timeout = clients[0].requestTimeoutSeconds();
        try {
            if (timeout == 0) {
                request.get();
            } else {
                request.get(timeout + GRACE_SECONDS, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException(name + ": " + what + " of " + length + " bytes at " + offset + " failed: "
                    + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException(name + ": " + what + " of " + length + " bytes at " + offset + " not answered");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name + ": interrupted waiting for a " + what, e);
        }
    }
}
