package io.raid5d.core.superblock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/** Runs external tools (mdadm, losetup, tar) for tests, bounded in time, in the C locale and UTC. */
public final class Commands {
    public static final class Result {
        final int exitCode;
        final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private Commands() {
    }

    /** Runs the command, stdout and stderr merged, and returns its exit code and output. */
    public static Result run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + Arrays.toString(command));
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** Runs the command and fails unless it exits 0. */
    public static String check(String... command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exitCode != 0) {
            throw new IOException(Arrays.toString(command) + " exited " + r.exitCode + ": " + r.output);
        }
        return r.output;
    }

    /** A read-only loop device over {@code file}; close() detaches it. */
    public static final class Loop implements AutoCloseable {
        public final String device;

        public Loop(java.nio.file.Path file) throws IOException, InterruptedException {
            this.device = check("losetup", "-r", "-f", "--show", file.toString()).trim();
        }

        @Override
        public void close() throws IOException {
            try {
                check("losetup", "-d", device);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while detaching " + device, e);
            }
        }
    }
}
