package io.raid5d.daemon.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's Unix-domain control socket (mode 0600: only the owner, normally root, may
 * talk to it). One thread accepts; each connection is served on its own short-lived thread
 * because commands such as {@code stop} block while an array drains.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlServer.class.getName());

    private final Path socketPath;
    private final Map<String, ControlCommand> commands = new ConcurrentHashMap<>();
    private final Map<String, StreamingCommand> streams = new ConcurrentHashMap<>();
    /**
     * Threads serving a streaming verb right now. Each adds and removes itself; {@link
     * #awaitStreams} joins them so a stopping daemon sends each stream its final line before
     * the process exits (the threads are daemon threads and would otherwise be cut off).
     */
    private final java.util.Set<Thread> streaming = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel server;
    private Thread acceptor;

    public ControlServer(Path socketPath) {
        this.socketPath = socketPath;
    }

    public void register(String verb, ControlCommand command) {
        commands.put(verb, command);
    }

    /** A verb that keeps the connection open and streams lines (see {@link StreamingCommand}). */
    public void registerStream(String verb, StreamingCommand command) {
        streams.put(verb, command);
    }

    public void start() throws IOException {
        if (Files.exists(socketPath)) {
            if (isAlive(socketPath)) {
                throw new IOException("control socket " + socketPath + " is in use by another raid5d");
            }
            Files.delete(socketPath); // left behind by a daemon that died
        }
        Path parent = socketPath.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        acceptor = new Thread(this::acceptLoop, "raid5d-control");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static boolean isAlive(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread t = new Thread(() -> serve(ch), "raid5d-control-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "control socket accept failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            String line = readBoundedLine(in);
            StringBuilder reply = new StringBuilder();
            if (line == null) {
                reply.append(ControlProtocol.ERR_PREFIX).append("empty or oversized request\n");
            } else {
                List<String> words = ControlProtocol.decodeRequest(line);
                StreamingCommand stream = words.isEmpty() ? null : streams.get(words.get(0));
                if (stream != null) {
                    streaming.add(Thread.currentThread());
                    try {
                        serveStream(stream, words.subList(1, words.size()), ch);
                    } finally {
                        streaming.remove(Thread.currentThread());
                    }
                    return;
                }
                handle(words, reply);
            }
            out.write(reply.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            LOG.log(Level.FINE, "control connection failed", e);
        }
    }

    /**
     * Streams lines to the client until the verb returns. A helper thread reads the client's
     * side so the verb learns when the client has gone even while it has nothing to send.
     * Both use the channel directly: the Channels stream adapters share one lock, so a
     * blocked read through them would hold up every write.
     */
    private void serveStream(StreamingCommand command, List<String> args, SocketChannel ch) throws IOException {
        AtomicBoolean gone = new AtomicBoolean();
        Thread watcher = new Thread(() -> {
            java.nio.ByteBuffer sink = java.nio.ByteBuffer.allocate(256);
            try {
                while (ch.read(sink.clear()) >= 0) {
                    // the client sends nothing more; anything it does send is ignored
                }
            } catch (IOException e) {
                // closed under us: treat as gone
            }
            gone.set(true);
        }, "raid5d-control-watch");
        watcher.setDaemon(true);
        watcher.start();
        StreamingCommand.LineSink sink = new StreamingCommand.LineSink() {
            @Override
            public void line(String text) throws IOException {
                writeFully(ch, ControlProtocol.DATA_PREFIX + oneLine(text) + "\n");
            }

            @Override
            public boolean clientGone() {
                return gone.get();
            }
        };
        String end;
        try {
            command.stream(args, sink);
            end = ControlProtocol.OK;
        } catch (ControlException e) {
            end = ControlProtocol.ERR_PREFIX + oneLine(e.getMessage());
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control stream " + args + " failed", e);
            end = ControlProtocol.ERR_PREFIX + oneLine(String.valueOf(e.getMessage()));
        }
        if (!gone.get()) {
            writeFully(ch, end + "\n");
        }
    }

    private static void writeFully(SocketChannel ch, String text) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private void handle(List<String> words, StringBuilder reply) {
        if (words.isEmpty()) {
            reply.append(ControlProtocol.ERR_PREFIX).append("empty request\n");
            return;
        }
        ControlCommand command = commands.get(words.get(0));
        if (command == null) {
            java.util.TreeSet<String> known = new java.util.TreeSet<>(commands.keySet());
            known.addAll(streams.keySet());
            reply.append(ControlProtocol.ERR_PREFIX).append("unknown command '").append(words.get(0))
                    .append("' (known: ").append(String.join(", ", known)).append(")\n");
            return;
        }
        try {
            for (String out : command.run(words.subList(1, words.size()))) {
                for (String l : out.split("\n", -1)) {
                    reply.append(ControlProtocol.DATA_PREFIX).append(l).append('\n');
                }
            }
            reply.append(ControlProtocol.OK).append('\n');
        } catch (ControlException e) {
            reply.append(ControlProtocol.ERR_PREFIX).append(oneLine(e.getMessage())).append('\n');
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control command " + words + " failed", e);
            reply.append(ControlProtocol.ERR_PREFIX).append(oneLine(String.valueOf(e.getMessage()))).append('\n');
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    private static String readBoundedLine(BufferedReader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString();
            }
            if (sb.length() >= ControlProtocol.MAX_REQUEST_BYTES) {
                return null;
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * Waits up to {@code timeoutMillis} for every streaming verb to end and send its final
     * line (call after whatever ends the streams, e.g. closing the event bus); returns false
     * if some stream was still running at the deadline.
     */
    public boolean awaitStreams(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Thread t : List.copyOf(streaming)) {
            long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return streaming.isEmpty();
            }
            t.join(left);
        }
        return streaming.isEmpty();
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.close();
            Files.deleteIfExists(socketPath);
        }
    }
}
