package io.raid5d.core.bitmapstore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/** Runs mdadm and losetup for tests: bounded in time, C locale, UTC. */
final class Tools {
    private Tools() {
    }

    static String check(String... command) throws IOException, InterruptedException {
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
        String text = out.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(Arrays.toString(command) + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /** A read-only loop device over a file; close() detaches it. */
    static final class Loop implements AutoCloseable {
        final String device;

        Loop(Path file) throws IOException, InterruptedException {
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
