package io.raid5d.core.member;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A loop device over a new sparse backing file, detached on close (tests run as root). */
final class LoopDevice implements AutoCloseable {
    final String path;

    private LoopDevice(String path) {
        this.path = path;
    }

    /** Creates {@code backing} with {@code size} bytes and attaches it. */
    static LoopDevice over(Path backing, long size) throws IOException, InterruptedException {
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(size);
        }
        return new LoopDevice(run("losetup", "-f", "--show", backing.toString()));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("losetup", "-d", path);
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
