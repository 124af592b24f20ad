package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue #16 with real clients, on each transport (--transport): nbdcopy writes and reads back
 * through raid5d; large reads of a healthy array leave as member file regions (the zero-copy
 * counter on /metrics moves, the bytes are right); once a member fails they are reconstructed
 * through the copying path (the counter stands still, the bytes are still right); qemu-io reads
 * a small unaligned range, which the event loop reads from the page cache (no hand-off).
 */
class TransportIT {
    private static final Pattern ZERO_COPY = Pattern.compile("raid5_read_zero_copy_bytes_total\\{array=\"tr\"} (\\S+)");

    private static final Pattern READ_NOW = Pattern.compile("raid5_read_now_bytes_total\\{array=\"tr\"} (\\S+)");

    private static double zeroCopyBytes(DaemonProcess d) throws Exception {
        return counter(d, ZERO_COPY);
    }

    private static double counter(DaemonProcess d, Pattern series) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ServiceConfig.metricsPort(d) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = series.matcher(metrics);
        assertTrue(m.find(), metrics);
        return Double.parseDouble(m.group(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void readsAndWritesOnEachTransportWithAndWithoutCopies(String transport, @TempDir Path dir) throws Exception {
        // members in tmpfs: replies go straight from member files only where a cached page
        // cannot fail to read (ZeroCopyReads); the daemon's work files stay in dir
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "transport-it");
        try {
            onEachTransport(transport, dir, shm);
        } finally {
            try (var files = Files.walk(shm)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void onEachTransport(String transport, Path dir, Path shm) throws Exception {
        List<Path> members = Members.create(shm, "tr", 4, "64K", "24M");
        byte[] data = new byte[48 << 20];
        new Random(transport.hashCode()).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--transport", transport, "--metrics", "127.0.0.1:0",
                "--array", Members.arrayArg("tr", members))) {
            assertTrue(d.log().contains("(transport " + transport + ")"), d.log());
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", in.toString(), d.uri("tr")).requireOk();

            double before = zeroCopyBytes(d);
            Path out = dir.resolve("out.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("tr"), out.toString()).requireOk();
            assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length));
            double sent = zeroCopyBytes(d) - before;
            assertTrue(sent >= data.length, "healthy reads of written data go from the member files: " + sent);

            double readNow = counter(d, READ_NOW);
            String io = Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", "-c", "read -v 1000003 48", d.uri("tr"))
                    .requireOk().out();
            assertTrue(io.contains(hexOf(data, 1000003, 16)), io);
            assertTrue(counter(d, READ_NOW) >= readNow + 48, "a small cached read is read on the event loop");

            d.raid5("fail", "tr", members.get(2).toString()).requireOk();
            before = zeroCopyBytes(d);
            Path degraded = dir.resolve("degraded.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("tr"), degraded.toString()).requireOk();
            assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(degraded), data.length));
            assertEquals(before, zeroCopyBytes(d), "a degraded array reconstructs: nothing from files");
            assertEquals(0, d.stop(), d.log());
        }
    }

    /**
     * A transport asked for by name that the kernel forbids (io_uring_disabled=2, as container
     * runtimes' seccomp filters do) or that does not exist fails the start at once, saying why,
     * before any array is touched; auto falls back to what works.
     */
    @Test
    void aTransportThatCannotRunIsRefusedAtStart(@TempDir Path dir) throws Exception {
        Path sysctl = Path.of("/proc/sys/kernel/io_uring_disabled");
        String was = Files.readString(sysctl).trim();
        Files.writeString(sysctl, "2");
        try {
            Cmd.Result r = DaemonProcess.startExpectingFailure(dir, "--transport", "io_uring");
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue((r.out() + r.err()).contains("transport io_uring is not available here"), r.out() + r.err());
        } finally {
            Files.writeString(sysctl, was);
        }
        Cmd.Result bogus = DaemonProcess.startExpectingFailure(dir, "--transport", "kqueue");
        assertEquals(1, bogus.exit());
        assertTrue((bogus.out() + bogus.err()).contains("unknown transport 'kqueue' (auto, epoll, io_uring or nio)"),
                bogus.out() + bogus.err());
    }

    /** qemu-io's "read -v" dump of 16 bytes: "xx xx ... xx" as it prints them. */
    private static String hexOf(byte[] data, int at, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                s.append(' ');
            }
            s.append(String.format("%02x", data[at + i] & 0xff));
        }
        return s.toString();
    }
}
