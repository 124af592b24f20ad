package io.raid5d.tools.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raid5d started through bin/raid5d as a real process on 127.0.0.1 with an ephemeral port.
 * Its stderr is collected; it is ready when it logs the address it serves NBD on.
 */
final class DaemonProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("serving NBD on 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path controlSocket;
    private final List<String> log = new ArrayList<>(); // guarded by itself
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile int port = -1;

    private DaemonProcess(Process process, Path controlSocket) {
        this.process = process;
        this.controlSocket = controlSocket;
        Thread reader = new Thread(this::readLog, "raid5d-log-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts raid5d with {@code args} added after --listen and --control; waits until it serves or dies. */
    static DaemonProcess start(Path workDir, String... args) throws IOException, InterruptedException {
        Path control = workDir.resolve("raid5d.sock");
        List<String> cmd = new ArrayList<>(List.of(Cmd.bin("raid5d").toString(),
                "--listen", "127.0.0.1:0", "--control", control.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        DaemonProcess d = new DaemonProcess(p, control);
        d.awaitReadyOrExit();
        return d;
    }

    /** Starts raid5d expecting it to refuse to start; returns its exit status and output. */
    static Cmd.Result startExpectingFailure(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Cmd.bin("raid5d").toString(),
                "--listen", "127.0.0.1:0", "--control", workDir.resolve("raid5d.sock").toString()));
        cmd.addAll(List.of(args));
        return Cmd.run(java.time.Duration.ofMinutes(2), cmd);
    }

    private void awaitReadyOrExit() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (ready.await(200, TimeUnit.MILLISECONDS)) {
                return;
            }
            if (!process.isAlive()) {
                Thread.sleep(200); // let the reader collect the last lines
                throw new AssertionError("raid5d exited with status " + process.exitValue() + " before serving:\n" + log());
            }
        }
        process.destroyForcibly();
        throw new AssertionError("raid5d did not start serving within 90 s:\n" + log());
    }

    private void readLog() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (log) {
                    log.add(line);
                }
                Matcher m = SERVING.matcher(line);
                if (m.find() && port < 0) {
                    port = Integer.parseInt(m.group(1));
                    ready.countDown();
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }

    int port() {
        return port;
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + port + "/" + export;
    }

    Path controlSocket() {
        return controlSocket;
    }

    long pid() {
        return process.pid();
    }

    String log() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    /** SIGTERM, then wait for the exit; returns the exit status. */
    int stop() throws InterruptedException {
        process.destroy(); // SIGTERM
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("raid5d did not stop within 120 s of SIGTERM:\n" + log());
        }
        Thread.sleep(100);
        return process.exitValue();
    }

    /** SIGKILL: a crash. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }
}
