package io.raid5d.tools.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    // Output goes to a file, not a pipe: the JDK may close a pipe under a reader when the
    // process exits and lose its last lines.
    private final Path logFile;
    private int port = -1;

    private DaemonProcess(Process process, Path controlSocket, Path logFile) {
        this.process = process;
        this.controlSocket = controlSocket;
        this.logFile = logFile;
    }

    /** Starts raid5d with {@code args} added after --listen and --control; waits until it serves or dies. */
    static DaemonProcess start(Path workDir, String... args) throws IOException, InterruptedException {
        Path control = workDir.resolve("raid5d.sock");
        List<String> cmd = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--control", control.toString()));
        cmd.addAll(List.of(args));
        return startWith(workDir, control, java.util.Map.of(), cmd);
    }

    /**
     * Starts bin/raid5d with exactly {@code args} and extra environment {@code env};
     * {@code control} is the control socket the arguments or config file name.
     */
    static DaemonProcess startWith(Path workDir, Path control, java.util.Map<String, String> env, List<String> args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Cmd.bin("raid5d").toString()));
        cmd.addAll(args);
        Path log = Files.createTempFile(workDir, "raid5d", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        DaemonProcess d = new DaemonProcess(pb.start(), control, log);
        d.awaitReadyOrExit();
        return d;
    }

    /** raid5 --control SOCKET ARGS... against this daemon. */
    Cmd.Result raid5(String... args) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of("--control", controlSocket.toString()));
        a.addAll(List.of(args));
        return Cmd.raid5(a.toArray(new String[0]));
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
            Matcher m = SERVING.matcher(log());
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("raid5d exited with status " + process.exitValue() + " before serving:\n" + log());
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new AssertionError("raid5d did not start serving within 90 s:\n" + log());
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
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Polls the log until {@code line} matches (bounded: fails the test after {@code seconds}). */
    Matcher awaitLog(Pattern line, int seconds) throws InterruptedException {
        for (long i = 0; i < seconds * 10L; i++) {
            Matcher m = line.matcher(log());
            if (m.find()) {
                return m;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no log line like /" + line + "/ within " + seconds + " s:\n" + log());
    }

    /** Polls {@code raid5 detail ARRAY} until {@code done} holds (bounded: fails the test after {@code seconds}). */
    String awaitDetail(String array, java.util.function.Predicate<String> done, int seconds) throws Exception {
        String last = "";
        for (long i = 0; i < seconds * 10L; i++) {
            last = raid5("detail", array).requireOk().out();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("detail of " + array + " not as awaited within " + seconds + " s:\n" + last + "\n" + log());
    }

    /** SIGTERM, then wait for the exit; returns the exit status. */
    int stop() throws InterruptedException {
        process.destroy(); // SIGTERM
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("raid5d did not stop within 120 s of SIGTERM:\n" + log());
        }
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
