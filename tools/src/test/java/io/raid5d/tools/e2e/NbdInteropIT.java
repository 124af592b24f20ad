package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NBD clients nobody here wrote against one raid5d serving several arrays at once (one
 * export each, so the tests do not disturb each other): nbdinfo, nbdcopy, qemu-img, qemu-io,
 * fio's nbd engine, and ext4 through nbdfuse + loop on two connections. Afterwards the daemon
 * stops cleanly and every array's parity checks out.
 */
class NbdInteropIT {
    private static final String[] ARRAYS = {"info", "img", "io", "fio", "fs"};
    private static final long ARRAY_BYTES = 3L * 64 * 1024 * 1024;

    @TempDir
    static Path dir;
    private static final Map<String, List<Path>> members = new LinkedHashMap<>();
    private static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        List<String> args = new ArrayList<>();
        for (String name : ARRAYS) {
            members.put(name, Members.create(dir, name, 4, "64K", "64M"));
            args.add("--array");
            args.add(Members.arrayArg(name, members.get(name)));
        }
        daemon = DaemonProcess.start(dir, args.toArray(new String[0]));
    }

    @AfterAll
    static void stopAndCheckParity() throws Exception {
        try {
            assertEquals(0, daemon.stop(), daemon.log());
        } finally {
            daemon.close();
        }
        for (String name : ARRAYS) {
            String check = Cmd.raid5(Members.pathArgs("check --offline", members.get(name))).requireOk().out();
            assertTrue(check.contains(" 0 mismatched sectors"), name + ": " + check);
        }
    }

    @Test
    void nbdinfoReportsEveryField() throws Exception {
        String json = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--json", daemon.uri("info")).requireOk().out();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("export-name", "\"info\"");
        expected.put("export-size", String.valueOf(ARRAY_BYTES));
        expected.put("description", "\"raid5d RAID-5, 4 members, 64K chunk, left-symmetric\"");
        expected.put("is_rotational", "false");
        expected.put("is_read_only", "false");
        expected.put("can_cache", "true");
        expected.put("can_df", "true");
        expected.put("can_fast_zero", "true");
        expected.put("can_flush", "true");
        expected.put("can_fua", "true");
        expected.put("can_multi_conn", "true");
        expected.put("can_trim", "true");
        expected.put("can_zero", "true");
        expected.put("block_size_minimum", "512");
        expected.put("block_size_preferred", String.valueOf(64 << 10));
        expected.put("block_size_maximum", String.valueOf(32 << 20));
        expected.forEach((key, value) -> assertEquals(value, jsonValue(json, key), key + " in\n" + json));
        assertTrue(json.matches("(?s).*\"contexts\":\\s*\\[\\s*\"base:allocation\"\\s*].*"), json);
        assertTrue(json.contains("\"protocol\": \"newstyle-fixed\"") && json.contains("\"TLS\": false")
                && json.contains("\"structured\": true"), json);

        String list = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--list",
                "nbd://127.0.0.1:" + daemon.port()).requireOk().out();
        for (String name : ARRAYS) {
            assertTrue(list.contains("export=\"" + name + "\""), list);
        }
        // base:allocation: an md array has no holes, so the whole export is one data extent
        String map = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--map", daemon.uri("info")).requireOk().out().trim();
        assertTrue(map.matches("0\\s+" + ARRAY_BYTES + "\\s+0\\s+data"), map);
    }

    @Test
    void nbdcopyAndQemuImgAgreeByteForByte() throws Exception {
        Path src = dir.resolve("img-src.bin");
        byte[] data = new byte[(int) ARRAY_BYTES];
        new Random(11).nextBytes(data);
        java.util.Arrays.fill(data, 40 << 20, 48 << 20, (byte) 0); // a zero run for sparse-aware copiers
        Files.write(src, data);
        String uri = daemon.uri("img");

        Cmd.run(Duration.ofMinutes(3), "nbdcopy", "--connections=4", "--flush", src.toString(), uri).requireOk();
        Cmd.run(Duration.ofMinutes(3), "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), uri).requireOk();

        Path back = dir.resolve("img-back.bin");
        Cmd.run(Duration.ofMinutes(3), "qemu-img", "convert", "-f", "raw", "-O", "raw", uri, back.toString()).requireOk();
        assertEquals(Members.sha256(src), Members.sha256(back));

        new Random(12).nextBytes(data);
        Files.write(src, data);
        Cmd.run(Duration.ofMinutes(3), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), uri).requireOk();
        Path again = dir.resolve("img-again.bin");
        Cmd.run(Duration.ofMinutes(3), "nbdcopy", uri, again.toString()).requireOk();
        assertEquals(Members.sha256(src), Members.sha256(again));

        String info = Cmd.run(Duration.ofMinutes(1), "qemu-img", "info", "--output=json", uri).requireOk().out();
        assertTrue(info.matches("(?s).*\"virtual-size\":\\s*" + ARRAY_BYTES + "\\b.*"), info);
    }

    @Test
    void qemuIoPatternsSurviveWriteDiscardAndZero() throws Exception {
        String uri = daemon.uri("io");
        Cmd.Result r = qemuIo(uri,
                "write -P 0xab 0 1M", "read -P 0xab 0 1M",
                "write -P 0xcd 1M 512", "read -P 0xcd 1M 512", "read -P 0x00 1049088 3584", // sub-block: qemu read-modify-writes
                "write -P 0x11 2M 2M", "discard 2M 1M", "read -P 0x00 2M 1M", "read -P 0x11 3M 1M",
                "write -P 0x22 4M 1M", "write -z 4M 512K", "read -P 0x00 4M 512K", "read -P 0x22 4608K 512K",
                "write -P 0x33 6M 1M", "write -z -u 6M 1M", "read -P 0x00 6M 1M",
                "write -f -P 0x44 8M 64K", "read -P 0x44 8M 64K", "flush",
                "aio_write -P 0x55 9M 64K", "aio_write -P 0x66 10M 64K", "aio_flush",
                "read -P 0x55 9M 64K", "read -P 0x66 10M 64K");
        assertFalse(r.out().contains("fail") || r.err().contains("fail"), r.out() + r.err());
        // a second process sees what the first one wrote (every earlier command flushed at exit)
        Cmd.Result again = qemuIo(uri, "read -P 0xab 0 1M", "read -P 0x11 3M 1M", "read -P 0x44 8M 64K");
        assertFalse(again.out().contains("fail"), again.out() + again.err());
    }

    @Test
    void fioVerifiesRandomWritesThroughTheNbdEngine() throws Exception {
        Cmd.Result r = Cmd.run(Duration.ofMinutes(5), "fio", "--name=raid5d", "--ioengine=nbd",
                "--uri=" + daemon.uri("fio"), "--rw=randwrite", "--bsrange=4k-128k", "--size=48M",
                "--iodepth=16", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--randseed=5",
                "--verify_state_save=0", "--output-format=terse").requireOk();
        String[] terse = r.out().trim().split(";");
        assertEquals("0", terse[4], "fio error status:\n" + r.out() + r.err()); // terse field 5: error
        Cmd.Result rw = Cmd.run(Duration.ofMinutes(5), "fio", "--name=raid5d-mixed", "--ioengine=nbd",
                "--uri=" + daemon.uri("fio"), "--rw=randrw", "--bs=4k", "--size=16M", "--offset=64M",
                "--iodepth=32", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--randseed=6", "--verify_state_save=0").requireOk();
        assertFalse(rw.out().contains("verify: bad"), rw.out());
    }

    @Test
    void ext4ThroughNbdfuseOnTwoConnections() throws Exception {
        Ext4OverNbdfuse.roundTrip(dir, daemon.uri("fs"), 2, List.of("-E", "discard"), d -> {
            Random random = new Random(9);
            int[] sizes = {1, 4095, 65537, 777777, 5 << 20, 17 << 20};
            for (int i = 0; i < sizes.length; i++) {
                byte[] b = new byte[sizes[i]];
                random.nextBytes(b);
                Files.write(d.resolve("file" + i), b);
            }
            Cmd.run(Duration.ofMinutes(1), "fstrim", "-v", d.getParent().toString()); // TRIMs reach the array, if loop passes them
        });
    }

    private static Cmd.Result qemuIo(String uri, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(uri);
        return Cmd.run(Duration.ofMinutes(2), cmd).requireOk();
    }

    private static String jsonValue(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*(\"[^\"]*\"|[^,\\n}]+)").matcher(json);
        return m.find() ? m.group(1).trim() : "(missing)";
    }
}
