package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.daemon.systemd.UnixDatagram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The day a disk dies and the machine reboots, as an admin lives it: raid5d under a
 * config file (the systemd path, with a fake NOTIFY_SOCKET), a member failed or gone, writes,
 * SIGTERM, start again from the config. The array comes back degraded, by mdadm's rules,
 * serving every byte written before and after the failure; READY=1 is sent with a STATUS= that
 * says which member is out and why; detail, status and monitor say it too; the member comes
 * back through the bitmap.
 */
class ComeBackAfterFailureIT {
    private static final Pattern FINISHED = Pattern.compile("recovery finished at sector (\\d+), counted (\\d+)");
    private static final long MEMBER_BYTES = 32L << 20;
    private static final long BITMAP_CHUNK = 4L << 20;

    @Test
    void aFailedMemberIsLeftOutAtRestartAndReAddedThroughTheBitmap(@TempDir Path dir) throws Exception {
        Served a = Served.filled(dir, "st", 96, 12);
        List<Path> members = a.members();
        Path conf = a.conf();
        byte[] data = a.data();
        Path m1 = members.get(1);
        try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
            d.raid5("fail", "st", m1.toString()).requireOk();
            qemuWrite(d, "st", data, 5L << 20, 300_000, 0x5a); // written while degraded: m1 never gets it
            qemuWrite(d, "st", data, 70L << 20, 65_536, 0xa5);
            assertEquals(0, d.stop(), d.log()); // SIGTERM
        }

        Path notify = dir.resolve("notify.sock");
        List<String> messages = new ArrayList<>();
        Path out = dir.resolve("out.bin");
        try (UnixDatagram systemd = UnixDatagram.bind(notify.toString());
             DaemonProcess d = ServiceConfig.start(dir, conf, Map.of("NOTIFY_SOCKET", notify.toString()))) {
            String ready = ServiceIT.awaitMessage(systemd, "READY=1", messages);
            assertTrue(ready.contains("STATUS=st: active, degraded (out: [1] out of date: " + m1), ready);
            assertTrue(d.log().contains(m1 + " as 1 (possibly out of date)"), d.log());
            assertTrue(d.log().contains("kicking non-fresh " + m1 + " from array!"), d.log());
            assertFalse(d.log().contains("re-added " + m1 + " automatically"), "it was failed: an admin decides\n" + d.log());

            String detail = d.raid5("detail", "st").requireOk().out();
            assertTrue(detail.matches("(?s).*\\n\\s+1\\s+1 removed\\s+\\(out of date: " + Pattern.quote(m1.toString())
                    + " \\(events \\d+ < \\d+\\)\\).*"), detail);
            assertTrue(detail.contains("State : active, degraded"), detail);
            String status = d.raid5("status").requireOk().out();
            assertTrue(status.contains("[4/3] [U_UU]") && status.contains("out: [1] out of date: " + m1), status);
            Cmd.Result monitor = Cmd.run(Duration.ofSeconds(30), "timeout", "2", Cmd.bin("raid5").toString(),
                    "--control", d.controlSocket().toString(), "monitor");
            assertTrue(monitor.out().contains("DegradedArray st " + m1), monitor.out() + monitor.err());

            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("st"), out.toString()).requireOk();
            assertArrayEquals(data, Files.readAllBytes(out), "written before and after the failure, byte-exact");

            d.raid5("re-add", "st", m1.toString()).requireOk();
            assertOnlyDirtyChunksRecovered(d, "re-add after restart");
            assertWholeAndServing(d, "st", data, out, "the same after the re-add");
        }
        assertNoMismatches(members);
    }

    @Test
    void aMemberWhoseDiskIsGoneIsWaitedForThenTheArrayStartsWithoutIt(@TempDir Path dir) throws Exception {
        Served a = Served.filled(dir, "gone", 32, 13, "MEMBER_WAIT 3");
        List<Path> members = a.members();
        Path conf = a.conf();
        byte[] data = a.data();
        Files.delete(members.get(2)); // the disk died with the machine off

        Path notify = dir.resolve("notify.sock");
        List<String> messages = new ArrayList<>();
        Path out = dir.resolve("out.bin");
        try (UnixDatagram systemd = UnixDatagram.bind(notify.toString());
             DaemonProcess d = ServiceConfig.start(dir, conf, Map.of("NOTIFY_SOCKET", notify.toString()))) {
            String ready = ServiceIT.awaitMessage(systemd, "READY=1", messages);
            assertTrue(ready.contains("STATUS=gone: active, degraded (out: [2] removed)"), ready);
            assertTrue(messages.stream().anyMatch(m -> m.contains("STATUS=waiting up to ")
                    && m.contains("members of gone (3 of 4 members found)")), messages.toString());
            assertTrue(d.log().contains("only 3 of its 4 members are there after 3 s: starting without the others"), d.log());
            String detail = d.raid5("detail", "gone").requireOk().out();
            assertTrue(detail.matches("(?s).*\\n\\s+2\\s+2 removed\\s+-\\n.*"), detail);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("gone"), out.toString()).requireOk();
            assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length), "served from the three that are left");
            assertEquals(0, d.stop(), d.log());
        }
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Array State : AA.A"), "md's view: role 2 is out\n" + examine);
    }

    @Test
    void aMemberThatWasOnlyAbsentIsReAddedAutomaticallyThroughTheBitmap(@TempDir Path dir) throws Exception {
        Served a = Served.filled(dir, "back", 96, 14, "MEMBER_WAIT 1");
        List<Path> members = a.members();
        Path conf = a.conf();
        byte[] data = a.data();
        Path m3 = members.get(3);
        Path away = dir.resolve("elsewhere.img");
        Files.move(m3, away); // a late disk: not there at this boot
        try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
            qemuWrite(d, "back", data, 40L << 20, 200_000, 0x3c);
            assertEquals(0, d.stop(), d.log());
        }
        Files.move(away, m3); // back at the next boot
        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
            assertTrue(d.log().contains("kicking removed " + m3 + " from array!")
                    || d.log().contains("kicking non-fresh " + m3 + " from array!"), d.log());
            assertOnlyDirtyChunksRecovered(d, "automatic re-add");
            assertTrue(d.log().contains("re-added " + m3 + " automatically (POLICY action=re-add)"), d.log());
            assertWholeAndServing(d, "back", data, out, "written before, while it was away and after, byte-exact");
        }
        assertNoMismatches(members);
    }

    @Test
    void twoMembersOutAreRefusedNamingEventsAndForceBringsTheFresherBack(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "dbl", 4, "64K", "32M");
        byte[] data = new byte[16 << 20];
        new Random(15).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        Path m2Then = dir.resolve("m2.then");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("dbl", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("dbl")).requireOk();
            d.raid5("fail", "dbl", members.get(1).toString()).requireOk(); // really dead
            Files.copy(members.get(2), m2Then); // "the cable": m2 as it was when it dropped out
            d.raid5("remove", "dbl", members.get(1).toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        Files.copy(m2Then, members.get(2), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(members.get(1)); // the dead disk is gone; m2 is back with what it had when its cable went
        List<Path> left = List.of(members.get(0), members.get(2), members.get(3));
        Cmd.Result refused = DaemonProcess.startExpectingFailure(dir, "--array", Members.arrayArg("dbl", left));
        assertNotEquals(0, refused.exit());
        String why = refused.err() + refused.out();
        assertTrue(why.contains("only 2 of its 4 members are fresh"), why);
        assertTrue(why.contains("Role 1: no device."), why);
        assertTrue(Pattern.compile("Role 2: " + Pattern.quote(members.get(2).toString()) + " \\(events \\d+, out of date\\)")
                .matcher(why).find(), why);
        assertTrue(why.contains("--force"), why);

        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = DaemonProcess.start(dir, "--force-assemble", "--array", Members.arrayArg("dbl", left))) {
            Matcher forced = Pattern.compile("forcing event count in " + Pattern.quote(members.get(2).toString())
                    + "\\(2\\) from \\d+ up to \\d+").matcher(d.log());
            assertTrue(forced.find(), d.log());
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("dbl"), out.toString()).requireOk();
            assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length),
                    "nothing was written after the failures: all data back");
            String detail = d.raid5("detail", "dbl").requireOk().out();
            assertTrue(detail.contains("State : active, degraded"), detail);
            assertEquals(0, d.stop(), d.log());
        }
    }

    /** An array under a config file (DEVICE glob + ARRAY by UUID), filled with random data through NBD and stopped clean. */
    private record Served(List<Path> members, Path conf, byte[] data) {
        static Served filled(Path dir, String name, int dataMiB, long seed, String... configLines) throws Exception {
            List<Path> members = Members.create(dir, name, 4, "64K", "32M", "--bitmap-chunk", "4M");
            List<String> lines = new ArrayList<>(List.of("DEVICE " + dir + "/" + name + "-m*.img"));
            lines.addAll(List.of(configLines));
            lines.add("ARRAY " + name + " UUID=" + ServiceConfig.uuidOf(members.get(0)));
            Path conf = ServiceConfig.write(dir, lines.toArray(String[]::new));
            byte[] data = new byte[dataMiB << 20];
            new Random(seed).nextBytes(data);
            Path in = dir.resolve("in.bin");
            Files.write(in, data);
            try (DaemonProcess d = ServiceConfig.start(dir, conf, Map.of())) {
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri(name)).requireOk();
                assertEquals(0, d.stop(), d.log()); // a clean stop clears the bits the fill set
            }
            return new Served(members, conf, data);
        }
    }

    /** The recovery ends having rebuilt at most the two bitmap chunks the writes dirtied. */
    private static void assertOnlyDirtyChunksRecovered(DaemonProcess d, String what) throws InterruptedException {
        long counted = Long.parseLong(d.awaitLog(FINISHED, 60).group(2));
        System.out.printf("%s: %d of %d member sectors recovered%n", what, counted, MEMBER_BYTES / 512);
        assertTrue(counted > 0 && counted <= 2 * BITMAP_CHUNK / 512, "only the bitmap-dirty chunks: " + counted);
    }

    /** The array is whole again, serves {@code data} byte-exact, and stops clean. */
    private static void assertWholeAndServing(DaemonProcess d, String export, byte[] data, Path out, String what)
            throws Exception {
        String detail = d.raid5("detail", export).requireOk().out();
        assertFalse(detail.contains("degraded"), detail);
        Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri(export), out.toString()).requireOk();
        assertArrayEquals(data, Files.readAllBytes(out), what);
        assertEquals(0, d.stop(), d.log());
    }

    private static void assertNoMismatches(List<Path> members) throws Exception {
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Writes {@code length} bytes of {@code pattern} at {@code offset} through qemu-io, and into the model. */
    private static void qemuWrite(DaemonProcess d, String export, byte[] model, long offset, int length, int pattern)
            throws Exception {
        Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", d.uri(export),
                "-c", "write -P " + pattern + " " + offset + " " + length, "-c", "flush").requireOk();
        Arrays.fill(model, (int) offset, (int) offset + length, (byte) pattern);
    }
}
