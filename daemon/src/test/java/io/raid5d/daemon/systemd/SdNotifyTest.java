package io.raid5d.daemon.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdNotifyTest {

    @Test
    void sendsToAPathSocket(@TempDir Path dir) throws Exception {
        String addr = dir.resolve("notify").toString();
        try (UnixDatagram systemd = UnixDatagram.bind(addr); SdNotify n = SdNotify.forAddress(addr)) {
            assertTrue(n.enabled());
            n.ready("a: active");
            String ready = systemd.receive(4096, 10_000);
            assertTrue(ready.startsWith("READY=1\nSTATUS=a: active\nMAINPID=" + ProcessHandle.current().pid()), ready);
            n.status("two\nlines");
            assertEquals("STATUS=two lines", systemd.receive(4096, 10_000));
            n.watchdog();
            assertEquals("WATCHDOG=1", systemd.receive(4096, 10_000));
            n.stopping("bye");
            assertEquals("STOPPING=1\nSTATUS=bye", systemd.receive(4096, 10_000));
            assertNull(systemd.receive(4096, 50), "nothing more was sent");
        }
    }

    @Test
    void sendsToAnAbstractSocket() throws Exception {
        String addr = "@raid5d-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagram systemd = UnixDatagram.bind(addr); SdNotify n = SdNotify.forAddress(addr)) {
            n.watchdog();
            assertEquals("WATCHDOG=1", systemd.receive(4096, 10_000));
        }
    }

    @Test
    void silentWithoutNotifySocket() {
        SdNotify n = SdNotify.forAddress(null);
        assertFalse(n.enabled());
        n.ready("x"); // no socket, no effect, no error
        assertFalse(SdNotify.forAddress("").enabled());
    }

    @Test
    void watchdogIntervalIsHalfOfWatchdogUsecForThisProcessOnly() {
        assertEquals(15_000_000, SdNotify.watchdogPingMicros(Map.of("WATCHDOG_USEC", "30000000"), 42));
        assertEquals(15_000_000, SdNotify.watchdogPingMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42));
        assertEquals(0, SdNotify.watchdogPingMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42));
        assertEquals(0, SdNotify.watchdogPingMicros(Map.of(), 42));
        assertEquals(0, SdNotify.watchdogPingMicros(Map.of("WATCHDOG_USEC", "x"), 42));
    }

    @Test
    void watchdogPingerPingsRepeatedly(@TempDir Path dir) throws Exception {
        String addr = dir.resolve("wd").toString();
        try (UnixDatagram systemd = UnixDatagram.bind(addr); SdNotify n = SdNotify.forAddress(addr);
             WatchdogPinger p = WatchdogPinger.start(n, Map.of("WATCHDOG_USEC", "100000"))) {
            assertTrue(p.active());
            for (int i = 0; i < 3; i++) {
                assertEquals("WATCHDOG=1", systemd.receive(4096, 10_000));
            }
        }
        assertFalse(WatchdogPinger.start(SdNotify.forAddress(null), Map.of("WATCHDOG_USEC", "100000")).active());
    }

    @Test
    void socketAddressesEncodeAsSockaddrUn() {
        byte[] path = UnixDatagram.sockaddr("/run/x");
        assertEquals(2 + 6 + 1, path.length);
        assertEquals('/', path[2]);
        assertEquals(0, path[path.length - 1]);
        byte[] abs = UnixDatagram.sockaddr("@n");
        assertEquals(2 + 1 + 1, abs.length);
        assertEquals(0, abs[2]);
        assertEquals('n', abs[3]);
    }
}
