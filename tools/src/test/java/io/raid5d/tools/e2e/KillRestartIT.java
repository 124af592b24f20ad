package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a daemon that had acknowledged (flushed) writes, then a restart from the same
 * config: the array comes back dirty, resyncs (the bitmap marks the whole array today), and
 * serves the same data; after a clean stop the parity is consistent.
 */
class KillRestartIT {

    @Test
    void killNineThenRestartResyncsAndServesTheSameData(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "kr", 4, "64K", "48M");
        Path conf = ServiceConfig.write(dir, "ARRAY kr devices=" + dir + "/kr-m*.img");
        byte[] data = new byte[32 << 20];
        new Random(11).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);

        try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
            Cmd.run(Duration.ofMinutes(3), "nbdcopy", "--flush", in.toString(), d.uri("kr")).requireOk();
            d.kill();
        }
        assertTrue(Cmd.raid5("examine", members.get(0).toString()).requireOk().out().contains("State : active"),
                "a killed daemon leaves the members dirty");

        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
            assertTrue(d.log().contains("array kr: resync started at sector 0"), d.log());
            awaitInSync(d, "kr");
            assertTrue(d.raid5("status").requireOk().out().contains("kr : active raid5"));
            Cmd.run(Duration.ofMinutes(3), "nbdcopy", d.uri("kr"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        byte[] back = Files.readAllBytes(out);
        assertArrayEquals(data, Arrays.copyOf(back, data.length));
        for (Path m : members) {
            assertTrue(Cmd.raid5("examine", m.toString()).requireOk().out().contains("State : clean"), m.toString());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Polls detail --json until the resync is done (bounded wait, not a timing assertion). */
    static void awaitInSync(DaemonProcess d, String name) throws Exception {
        String json = "";
        for (int i = 0; i < 600; i++) {
            json = d.raid5("detail", name, "--json").requireOk().out();
            if (json.contains("\"running\":false") && json.contains("\"percent\":100.0")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("resync of " + name + " did not finish within 120 s: " + json);
    }
}
