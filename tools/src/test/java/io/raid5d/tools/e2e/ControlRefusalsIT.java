package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the control socket refuses, and how: a client that is not root is told so; verbs that
 * cannot apply to the array's state say why and change nothing; grow --bitmap names the
 * feature it waits for.
 */
class ControlRefusalsIT {

    @Test
    void nonRootClientIsToldPermissionDenied(@TempDir Path dir) throws Exception {
        // Let everyone reach the directory, so that only the socket's own mode (0600) refuses.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (DaemonProcess d = DaemonProcess.start(dir)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.controlSocket())));
            Cmd.Result nobody = Cmd.run(Duration.ofMinutes(2), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    Cmd.bin("raid5").toString(), "--control", d.controlSocket().toString(), "status");
            assertNotEquals(0, nobody.exit(), nobody.out());
            assertEquals("raid5: permission denied on " + d.controlSocket() + " (run as root)", nobody.err().strip());
            assertTrue(d.raid5("status").requireOk().out().contains("no arrays running"), "root still gets in");
            assertEquals(0, d.stop(), d.log());
        }
    }

    @Test
    void noDaemonIsReportedAsSuch(@TempDir Path dir) throws Exception {
        Cmd.Result r = Cmd.raid5("--control", dir.resolve("none.sock").toString(), "status");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("no raid5d control socket at " + dir.resolve("none.sock")), r.err());
    }

    @Test
    void verbsThatCannotApplyAreRefusedWithTheReasonAndChangeNothing(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "ref", 3, "64K", "8M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ref", members))) {
            String before = d.raid5("detail", "ref", "--json").requireOk().out();
            refused(d, "remove ref: " + members.get(1) + " is in-sync in array ref; only a faulty member can be removed",
                    "remove", "ref", members.get(1).toString());
            // (a healthy array takes a new device as an idle hot spare: HotSpareIT)
            refused(d, "add ref: " + members.get(1) + " is already in array ref", "add", "ref", members.get(1).toString());
            refused(d, "re-add ref: array ref is not degraded", "re-add", "ref", members.get(1).toString());
            refused(d, "fail ref: " + dir.resolve("other.img") + " is not a member of array ref", "fail", "ref",
                    dir.resolve("other.img").toString());
            refused(d, "grow --bitmap ref: array ref already has that bitmap (internal)", "grow", "ref", "--bitmap", "internal");
            refused(d, "stripe-cache ref: stripe cache size must be 17..32768", "stripe-cache", "ref", "16");
            refused(d, "no array named nope is running (running: ref)", "fail", "nope", members.get(1).toString());
            assertEquals(before, d.raid5("detail", "ref", "--json").requireOk().out(), "nothing changed");
            assertTrue(d.raid5("status").requireOk().out().contains("[3/3] [UUU]"));
            assertEquals("256", d.raid5("stripe-cache", "ref").requireOk().out().strip());
            d.raid5("stripe-cache", "ref", "1024").requireOk();
            assertEquals("1024", d.raid5("stripe-cache", "ref").requireOk().out().strip());
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    private static void refused(DaemonProcess d, String reason, String... args) throws Exception {
        Cmd.Result r = d.raid5(args);
        assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.out() + r.err());
        assertTrue(r.err().startsWith("raid5: " + reason), String.join(" ", args) + ": " + r.err());
        assertEquals("", r.out(), "a refusal prints nothing on stdout");
    }
}
