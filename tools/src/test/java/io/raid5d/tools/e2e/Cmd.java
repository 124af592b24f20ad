package io.raid5d.tools.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external program with a time limit and captures what it printed. */
final class Cmd {
    /** What a finished program left behind. */
    record Result(List<String> command, int exit, String out, String err) {
        Result requireOk() {
            if (exit != 0) {
                throw new AssertionError("command failed (exit " + exit + "): " + String.join(" ", command)
                        + "\nstdout:\n" + out + "\nstderr:\n" + err);
            }
            return this;
        }
    }

    static final Path HOME = Path.of(System.getProperty("raid5d.home", "..")).toAbsolutePath().normalize();

    private Cmd() {
    }

    static Path bin(String name) {
        return HOME.resolve("bin").resolve(name);
    }

    static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, List.of(command));
    }

    static Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("cmd", ".out");
        Path err = Files.createTempFile("cmd", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("command timed out after " + timeout + ": " + String.join(" ", command)
                        + "\nstderr:\n" + Files.readString(err));
            }
            return new Result(List.copyOf(command), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Result raid5(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(bin("raid5").toString());
        cmd.addAll(List.of(args));
        return run(Duration.ofMinutes(5), cmd);
    }
}
