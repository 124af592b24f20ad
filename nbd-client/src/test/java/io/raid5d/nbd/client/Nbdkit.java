package io.raid5d.nbd.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** An nbdkit serving on a free port of 127.0.0.1 for one test; stopped (SIGKILL if need be) by close(). */
final class Nbdkit implements AutoCloseable {
    final int port;
    private final Process process;
    private final Path log;

    private Nbdkit(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** {@code args}: options, then the plugin and its parameters, as on nbdkit's command line. */
    static Nbdkit start(Path dir, String... args) throws IOException, InterruptedException {
        return start(dir, freePort(), args);
    }

    static Nbdkit start(Path dir, int port, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("nbdkit", "-f", "--exit-with-parent", "-i", "127.0.0.1", "-p",
                String.valueOf(port)));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "nbdkit", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("nbdkit exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new Nbdkit(port, p, log);
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IOException("nbdkit did not listen on " + port + ": " + Files.readString(log));
    }

    String uri(String scheme, String export) {
        return scheme + "://127.0.0.1:" + port + "/" + export;
    }

    /** Kills the server at once (SIGKILL), as a crashed host would vanish. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
