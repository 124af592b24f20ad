package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unit file in packaging/ passes systemd-analyze verify (with ExecStart pointed at this
 * checkout's bin/raid5d, since verify wants the binary to exist), and the example config is one
 * the daemon's parser accepts.
 */
class SystemdUnitIT {
    private static final Path UNIT = Cmd.HOME.resolve("packaging/systemd/raid5d.service");

    @Test
    void unitFilePassesSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
        String unit = Files.readString(UNIT);
        assertTrue(unit.contains("\nType=notify\n") && unit.contains("\nNotifyAccess=main\n")
                && unit.contains("\nWatchdogSec=") && unit.contains("\nTimeoutStopSec="), unit);
        assertTrue(unit.contains("ExecStart=/opt/raid5d/bin/raid5d --config /etc/raid5d/raid5d.conf"), unit);
        Path copy = dir.resolve("raid5d.service");
        Files.writeString(copy, unit.replace("/opt/raid5d/bin/raid5d", Cmd.bin("raid5d").toString()));
        Cmd.Result ok = Cmd.run(Duration.ofMinutes(2), "systemd-analyze", "verify", copy.toString());
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertEquals("", ok.err().strip(), "verify printed warnings");

        // The check can fail: the unpatched unit names a binary that is not installed here.
        Path broken = Files.createDirectory(dir.resolve("broken")).resolve("raid5d.service");
        Files.writeString(broken, unit.replace("/opt/raid5d/bin/raid5d", dir.resolve("missing/raid5d").toString()));
        Cmd.Result bad = Cmd.run(Duration.ofMinutes(2), "systemd-analyze", "verify", broken.toString());
        assertNotEquals(0, bad.exit(), bad.out() + bad.err());
    }

    @Test
    void exampleConfigParses(@TempDir Path dir) throws Exception {
        io.raid5d.daemon.config.DaemonConfig c = io.raid5d.daemon.config.ConfigParser.read(
                Cmd.HOME.resolve("packaging/raid5d.conf.example"));
        assertEquals(2, c.arrays().size());
        assertEquals("127.0.0.1:9105", c.metrics().orElseThrow());
        assertEquals(Path.of("/run/raid5d/control.sock"), c.control().orElseThrow());
    }
}
