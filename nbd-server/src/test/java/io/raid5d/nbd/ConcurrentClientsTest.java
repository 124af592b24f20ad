package io.raid5d.nbd;

import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_FIXED_NEWSTYLE;
import static io.raid5d.nbd.protocol.HandshakeFlags.CLIENT_NO_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.testing.RawNbdClient;
import io.raid5d.nbd.testing.RawNbdClient.Reply;
import io.raid5d.nbd.testing.RunningServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many connections pipeline random reads, writes and flushes against an export that completes
 * out of order on other threads, with a small in-flight budget so reading pauses and resumes
 * often. Each connection owns a region and keeps a byte model of it; every read is checked
 * against the model when its reply (matched by handle) arrives, and the whole export is checked
 * from a fresh connection at the end.
 */
class ConcurrentClientsTest {
    private static final int CONNECTIONS = 6;
    private static final int BLOCK = 4096;
    private static final int REGION_BLOCKS = 256;
    private static final int REGION = REGION_BLOCKS * BLOCK;
    private static final int MAX_BLOCKS_PER_REQUEST = 8;
    private static final int WINDOW = 16;
    private static final int OPS_PER_CONNECTION = 1500;

    @Test
    void pipelinedRandomIoMatchesTheModel() throws Exception {
        ExecutorService completer = Executors.newFixedThreadPool(3);
        InMemoryExport memory = InMemoryExport.builder("disk", (long) CONNECTIONS * REGION).build();
        NbdServerConfig config = NbdServerConfig.defaults().withMaxInFlightRequests(6).withMaxInFlightBytes(96 << 10);
        try (RunningServer server = new RunningServer(new MutableExportRegistry().add(new AsyncExport(memory, completer)), config)) {
            List<CompletableFuture<byte[]>> runs = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(2 * CONNECTIONS);
            for (int i = 0; i < CONNECTIONS; i++) {
                int region = i;
                runs.add(CompletableFuture.supplyAsync(() -> new Connection(server, region).run(), clients));
            }
            byte[] expected = new byte[CONNECTIONS * REGION];
            for (int i = 0; i < CONNECTIONS; i++) {
                byte[] model = runs.get(i).get(120, TimeUnit.SECONDS); // hang guard only
                System.arraycopy(model, 0, expected, i * REGION, REGION);
            }
            clients.shutdown();

            assertArrayEquals(expected, memory.snapshot(0, expected.length));
            try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
                c.go("disk");
                c.sendRequest(0, Command.READ, 1, 0, expected.length, null);
                assertEquals(new Reply(Errno.OK, 1), c.readReply());
                assertArrayEquals(expected, c.readBytes(expected.length));
            }
        } finally {
            completer.shutdownNow();
        }
    }

    /** One client connection: a sender thread and a reply reader sharing a window of handles. */
    private static final class Connection {
        private static final AtomicLong HANDLES = new AtomicLong();

        private final RunningServer server;
        private final long base;
        private final Random random;
        private final byte[] model = new byte[REGION];
        /** Blocks of the region some in-flight request touches; guarded by itself. */
        private final BitSet busy = new BitSet(REGION_BLOCKS);
        private final Semaphore window = new Semaphore(WINDOW);
        private final Map<Long, Op> inFlight = new ConcurrentHashMap<>();

        private record Op(int type, int offset, int length, byte[] data, int firstBlock, int blocks) {}

        Connection(RunningServer server, int region) {
            this.server = server;
            this.base = (long) region * REGION;
            this.random = new Random(1000 + region);
        }

        byte[] run() {
            try (RawNbdClient c = RawNbdClient.handshake(server.address, CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) {
                c.go("disk");
                CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> readReplies(c));
                for (int i = 0; i < OPS_PER_CONNECTION; i++) {
                    window.acquire();
                    send(c);
                }
                reader.get(120, TimeUnit.SECONDS); // hang guard only
                c.sendRequest(0, Command.DISC, 0, 0, 0, null);
                assertTrue(c.closedByServer());
                return model;
            } catch (Exception e) {
                throw new AssertionError("connection at " + base, e);
            }
        }

        private void send(RawNbdClient c) throws Exception {
            long handle = HANDLES.incrementAndGet();
            int kind = random.nextInt(20);
            if (kind == 0) {
                inFlight.put(handle, new Op(Command.FLUSH, 0, 0, null, 0, 0));
                c.sendRequest(0, Command.FLUSH, handle, 0, 0, null);
                return;
            }
            int blocks = 1 + random.nextInt(MAX_BLOCKS_PER_REQUEST);
            int first = claimBlocks(blocks);
            int head = random.nextInt(BLOCK / 2);
            int length = blocks * BLOCK - head - random.nextInt(BLOCK / 2);
            int offset = first * BLOCK + head;
            if (kind < 10) {
                inFlight.put(handle, new Op(Command.READ, offset, length, null, first, blocks));
                c.sendRequest(0, Command.READ, handle, base + offset, length, null);
            } else {
                byte[] data = new byte[length];
                random.nextBytes(data);
                inFlight.put(handle, new Op(Command.WRITE, offset, length, data, first, blocks));
                c.sendRequest(random.nextBoolean() ? 1 : 0, Command.WRITE, handle, base + offset, length, data);
            }
        }

        /** A random run of blocks no in-flight request touches, so the model stays exact. */
        private int claimBlocks(int blocks) {
            synchronized (busy) {
                while (true) {
                    int first = random.nextInt(REGION_BLOCKS - blocks + 1);
                    if (busy.get(first, first + blocks).isEmpty()) {
                        busy.set(first, first + blocks);
                        return first;
                    }
                }
            }
        }

        private void readReplies(RawNbdClient c) {
            try {
                for (int i = 0; i < OPS_PER_CONNECTION; i++) {
                    Reply reply = c.readReply();
                    Op op = inFlight.remove(reply.handle());
                    assertNotNull(op, "reply for unknown handle " + reply.handle());
                    assertEquals(Errno.OK, reply.error(), "error for " + op);
                    if (op.type() == Command.READ) {
                        byte[] got = c.readBytes(op.length());
                        byte[] want = Arrays.copyOfRange(model, op.offset(), op.offset() + op.length());
                        assertArrayEquals(want, got, "read at " + (base + op.offset()));
                    } else if (op.type() == Command.WRITE) {
                        System.arraycopy(op.data(), 0, model, op.offset(), op.data().length);
                    }
                    if (op.blocks() > 0) {
                        synchronized (busy) {
                            busy.clear(op.firstBlock(), op.firstBlock() + op.blocks());
                        }
                    }
                    window.release();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Completes every request on another thread pool, so completions come out of order. */
    private static final class AsyncExport implements BlockExport {
        private final InMemoryExport backing;
        private final ExecutorService executor;

        AsyncExport(InMemoryExport backing, ExecutorService executor) {
            this.backing = backing;
            this.executor = executor;
        }

        @Override public String name() { return backing.name(); }
        @Override public long size() { return backing.size(); }
        @Override public boolean canMultiConn() { return true; }

        @Override
        public CompletableFuture<Void> read(long offset, int length, ByteBuf dst) {
            return CompletableFuture.runAsync(() -> backing.read(offset, length, dst), executor);
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuf src, boolean fua) {
            return CompletableFuture.runAsync(() -> backing.write(offset, src, fua), executor);
        }

        @Override
        public CompletableFuture<Void> flush() {
            return CompletableFuture.runAsync(() -> { }, executor);
        }
    }
}
