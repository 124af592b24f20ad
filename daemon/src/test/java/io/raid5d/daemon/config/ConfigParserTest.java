package io.raid5d.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
    private static final Path SRC = Path.of("t.conf");

    @Test
    void parsesEveryKeywordCommentsAndContinuationLines() throws Exception {
        DaemonConfig c = ConfigParser.parse(SRC, String.join("\n",
                "# comment", "listen 127.0.0.1:10810   # trailing comment", "CONTROL /run/x.sock", "METRICS [::1]:9105",
                "IO_THREADS 4", "DEVICE /dev/disk/by-id/ata-* /srv/*.img", "DEVICE /more", "BITMAP internal",
                "STRIPE_CACHE 256", "", "ARRAY data UUID=3B1C2F4E:9a8d7c6b:5e4f3a2b:1c0d9e8f",
                "   devices=/a,/b", "\tstripe_cache=1024 bitmap=none", "ARRAY scratch"));
        assertEquals(Optional.of("127.0.0.1:10810"), c.listen());
        assertEquals(Optional.of(Path.of("/run/x.sock")), c.control());
        assertEquals(Optional.of("[::1]:9105"), c.metrics());
        assertEquals(OptionalInt.of(4), c.ioThreads());
        assertEquals(List.of("/dev/disk/by-id/ata-*", "/srv/*.img", "/more"), c.devices());
        ArrayEntry data = c.arrays().get(0);
        assertEquals(new ArrayEntry("data", Optional.of("3b1c2f4e:9a8d7c6b:5e4f3a2b:1c0d9e8f"), List.of("/a", "/b"),
                Optional.of("none"), OptionalInt.of(1024)), data);
        ArrayEntry scratch = c.arrays().get(1);
        assertEquals(List.of("/a", "/b"), c.patternsFor(data));
        assertEquals(c.devices(), c.patternsFor(scratch));
        assertEquals(Optional.of("internal"), c.bitmapFor(scratch));
        assertEquals(Optional.of("none"), c.bitmapFor(data));
        assertEquals(OptionalInt.of(256), c.stripeCacheFor(scratch));
        assertEquals(OptionalInt.of(1024), c.stripeCacheFor(data));
    }

    @Test
    void refusesWithFileAndLine() {
        String[][] bad = {
            {"LISTEN 127.0.0.1", "t.conf:1: LISTEN wants HOST:PORT"},
            {"\n\nFROB x", "t.conf:3: unknown keyword 'FROB'"},
            {"CONTROL /a\nCONTROL /b", "t.conf:2: CONTROL given twice"},
            {"  devices=/a", "t.conf:1: continuation line without a keyword line"},
            {"ARRAY UUID=1:2", "t.conf:1: ARRAY wants a name first"},
            {"ARRAY d UUID=12345", "t.conf:1: ARRAY d: UUID 12345 is not in mdadm's form"},
            {"ARRAY d\nARRAY d", "t.conf:2: array d is configured twice"},
            {"ARRAY d colour=red", "t.conf:1: ARRAY d: unknown setting 'colour'"},
            {"ARRAY d devices=/a,,/b", "t.conf:1: ARRAY d: empty entry in devices="},
            {"STRIPE_CACHE 0", "t.conf:1: STRIPE_CACHE wants a positive number"},
            {"IO_THREADS 2 3", "t.conf:1: IO_THREADS wants exactly one value, got 2"},
            {"DEVICE", "t.conf:1: DEVICE wants one or more paths"},
            {"ARRAY a/b", "t.conf:1: 'a/b' is not a usable array name"},
            {"MEMBER_WAIT -1", "t.conf:1: MEMBER_WAIT wants a number of seconds (0 or more), got '-1'"},
            {"MEMBER_WAIT soon", "t.conf:1: MEMBER_WAIT wants a number of seconds"},
            {"POLICY action=spare", "t.conf:1: POLICY: action=spare is not supported (re-add or incremental)"},
            {"POLICY domain=x action=re-add", "t.conf:1: POLICY: 'domain=x' is not understood"},
            {"POLICY", "t.conf:1: POLICY wants action=re-add or action=incremental"},
            {"DIRECT_IO sometimes", "t.conf:1: DIRECT_IO wants auto, on or off, got 'sometimes'"},
            {"MAX_READ_ERRORS many", "t.conf:1: MAX_READ_ERRORS wants a count (0 or more), got 'many'"},
        };
        for (String[] b : bad) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(SRC, b[0]), b[0]);
            assertTrue(e.getMessage().startsWith(b[1]), b[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void memberWaitAndReAddPolicyHaveMdadmsDefaults() throws Exception {
        DaemonConfig none = ConfigParser.parse(SRC, "");
        assertEquals(30, none.memberWaitSeconds(), "mdadm's last-resort timer");
        assertTrue(none.autoReAdd());
        DaemonConfig set = ConfigParser.parse(SRC, "MEMBER_WAIT 0\npolicy ACTION=Incremental");
        assertEquals(0, set.memberWaitSeconds());
        assertFalse(set.autoReAdd());
        assertTrue(ConfigParser.parse(SRC, "POLICY action=re-add").autoReAdd());
        assertEquals(java.util.OptionalInt.of(5), ConfigParser.parse(SRC, "MAX_READ_ERRORS 5").maxReadErrors());
        assertEquals(java.util.Optional.of("on"), ConfigParser.parse(SRC, "DIRECT_IO On").directIo());
        assertEquals(java.util.Optional.empty(), none.directIo(), "auto unless configured");
    }

    @Test
    void missingFileIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.read(Path.of("/nonexistent/raid5d.conf")));
        assertEquals("/nonexistent/raid5d.conf: no such configuration file", e.getMessage());
    }
}
