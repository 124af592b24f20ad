package io.raid5d.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raid5d.nbd.export.MutableExportRegistry;
import io.raid5d.nbd.export.memory.InMemoryExport;
import io.raid5d.nbd.testing.RunningServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libnbd's nbdinfo and nbdcopy, which nobody here wrote, against the server. */
class RealClientTest {
    private static final int COPY_SIZE = 16 << 20;

    private InMemoryExport disk;
    private InMemoryExport readOnly;
    private RunningServer server;

    @TempDir
    Path tmp;

    @BeforeEach
    void start() {
        disk = InMemoryExport.builder("disk", COPY_SIZE).description("sixteen megs").build();
        readOnly = InMemoryExport.builder("ro", 1 << 20).readOnly(true).canMultiConn(false).build();
        server = new RunningServer(new MutableExportRegistry().add(disk).add(readOnly));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void nbdinfoReportsSizeAndFlags() throws Exception {
        String json = run("nbdinfo", "--json", server.uri("disk"));
        assertEquals(String.valueOf(COPY_SIZE), jsonValue(json, "export-size"));
        assertEquals("\"disk\"", jsonValue(json, "export-name"));
        assertEquals("\"sixteen megs\"", jsonValue(json, "description"));
        assertEquals("false", jsonValue(json, "is_read_only"));
        assertEquals("true", jsonValue(json, "can_flush"));
        assertEquals("true", jsonValue(json, "can_fua"));
        assertEquals("true", jsonValue(json, "can_multi_conn"));
        assertEquals("true", jsonValue(json, "can_trim"));
        assertEquals("true", jsonValue(json, "can_zero"));
        assertEquals("true", jsonValue(json, "can_fast_zero"));
        assertEquals("true", jsonValue(json, "can_cache"));
        assertEquals("true", jsonValue(json, "can_df"));
        assertEquals("1", jsonValue(json, "block_size_minimum"));
        assertEquals("4096", jsonValue(json, "block_size_preferred"));
        assertEquals(String.valueOf(32 << 20), jsonValue(json, "block_size_maximum"));

        String ro = run("nbdinfo", "--json", server.uri("ro"));
        assertEquals(String.valueOf(1 << 20), jsonValue(ro, "export-size"));
        assertEquals("true", jsonValue(ro, "is_read_only"));
        assertEquals("false", jsonValue(ro, "can_multi_conn"));
    }

    @Test
    void nbdinfoListsEveryExport() throws Exception {
        String out = run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.address.getPort());
        assertTrue(out.contains("export=\"disk\""), out);
        assertTrue(out.contains("export=\"ro\""), out);
        assertTrue(out.contains("description: sixteen megs"), out);
    }

    @Test
    void nbdcopyRoundTripsSixteenMegabytes() throws Exception {
        byte[] data = new byte[COPY_SIZE];
        new Random(7).nextBytes(data);
        Path in = tmp.resolve("in.img");
        Path out = tmp.resolve("out.img");
        Files.write(in, data);

        run("nbdcopy", "--flush", in.toString(), server.uri("disk"));
        assertArrayEquals(data, disk.snapshot(0, COPY_SIZE), "export content after nbdcopy in");

        run("nbdcopy", server.uri("disk"), out.toString());
        assertArrayEquals(data, Files.readAllBytes(out), "file content after nbdcopy out");
    }

    private static String jsonValue(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*([^,\\n}]+)").matcher(json);
        if (!m.find()) {
            fail("no " + key + " in\n" + json);
        }
        return m.group(1).trim();
    }

    /** Runs a client; the wait limit only guards against a hang. */
    private String run(String... command) throws IOException, InterruptedException {
        Path log = tmp.resolve("client-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " hung:\n" + Files.readString(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + output);
        return output;
    }
}
