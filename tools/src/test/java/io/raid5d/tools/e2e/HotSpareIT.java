package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hot spare through the real processes, as an mdadm user runs one: {@code raid5 add} to a
 * healthy array leaves the device as a spare (detail, status, and mdadm --examine say so);
 * when a member is failed, the spare replaces it with no further command and is rebuilt;
 * the faulty member stays listed until {@code raid5 remove}; the data reads back and the new
 * member set checks clean offline.
 */
class HotSpareIT {

    @Test
    void aSpareReplacesAFailedMemberOnItsOwn(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "hs", 3, "64K", "32M");
        Path spare = dir.resolve("hs-spare.img");
        try (RandomAccessFile f = new RandomAccessFile(spare.toFile(), "rw")) {
            f.setLength(Files.size(members.get(0)));
        }
        byte[] data = new byte[64 << 20];
        new Random(31).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Path out = dir.resolve("out.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("hs", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("hs")).requireOk();

            d.raid5("add", "hs", spare.toString()).requireOk();
            String detail = d.raid5("detail", "hs").requireOk().out();
            assertTrue(detail.contains("Spare Devices : 1"), detail);
            assertTrue(detail.matches("(?s).*\\s3\\s+-\\s+spare\\s+" + java.util.regex.Pattern.quote(spare.toString()) + ".*"), detail);
            assertFalse(detail.contains("degraded"), detail);
            String status = d.raid5("status").requireOk().out();
            assertTrue(status.contains(spare + "[3](S)"), status);
            String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", spare.toString()).requireOk().out();
            assertTrue(examine.contains("Device Role : spare"), examine);
            assertTrue(examine.contains("Checksum : ") && examine.contains(" - correct"), examine);
            assertTrue(examine.contains("Array State : AAA"), examine);

            d.raid5("fail", "hs", members.get(1).toString()).requireOk();
            String healed = awaitDetail(d, s -> !s.contains("degraded") && s.contains("Spare Devices : 0"));
            assertTrue(healed.matches("(?s).*\\s1\\s+1\\s+active sync\\s+" + java.util.regex.Pattern.quote(spare.toString()) + ".*"),
                    healed);
            assertTrue(healed.contains("faulty         " + members.get(1)), healed);

            d.raid5("remove", "hs", members.get(1).toString()).requireOk();
            String after = d.raid5("detail", "hs").requireOk().out();
            assertFalse(after.contains(members.get(1).toString()), after);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("hs"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length), "data reads back from the new member set");
        List<Path> now = List.of(members.get(0), spare, members.get(2));
        String check = Cmd.raid5(Members.pathArgs("check --offline", now)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", spare.toString()).requireOk().out();
        assertTrue(examine.contains("Device Role : Active device 1"), examine);
    }

    /**
     * mdadm's create -x: {@code raid5 create --spare-devices 1} makes the last device a spare at
     * creation (mdadm --examine says "spare"), assembly holds it idle, and it replaces the first
     * member that fails.
     */
    @Test
    void createWithASpareDeviceHoldsItIdleUntilAMemberFails(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "cx", 4);
        String[] create = Members.pathArgs("create --raid-devices 3 --spare-devices 1 --chunk 64K --size 32M --name cx", devices);
        String created = Cmd.raid5(create).requireOk().out();
        assertTrue(created.contains("3 members + 1 spare"), created);
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(3).toString()).requireOk().out();
        assertTrue(examine.contains("Device Role : spare"), examine);
        assertTrue(examine.contains("Raid Devices : 3") && examine.contains(" - correct"), examine);
        String member = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(0).toString()).requireOk().out();
        assertTrue(member.contains("Device Role : Active device 0") && member.contains("Array State : AAA"), member);
        String refused = Cmd.raid5(Members.pathArgs("create --raid-devices 3 --spare-devices 1 --size 32M --name cy",
                devices.subList(0, 3))).err();
        assertTrue(refused.contains("--raid-devices 3 and --spare-devices 1 but 3 devices were named"), refused);

        byte[] data = new byte[16 << 20];
        new Random(32).nextBytes(data);
        Path in = dir.resolve("cx.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("cx", devices))) {
            String detail = d.raid5("detail", "cx").requireOk().out();
            assertTrue(detail.contains("Spare Devices : 1") && !detail.contains("degraded"), detail);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("cx")).requireOk();
            d.raid5("fail", "cx", devices.get(2).toString()).requireOk();
            String healed = awaitDetail(d, "cx", s -> !s.contains("degraded") && s.contains("Spare Devices : 0"));
            assertTrue(healed.matches("(?s).*\\s2\\s+2\\s+active sync\\s+" + java.util.regex.Pattern.quote(devices.get(3).toString()) + ".*"),
                    healed);
            Path out = dir.resolve("cx.out");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("cx"), out.toString()).requireOk();
            assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length));
            assertEquals(0, d.stop(), d.log());
        }
    }

    private static String awaitDetail(DaemonProcess d, java.util.function.Predicate<String> done) throws Exception {
        return awaitDetail(d, "hs", done);
    }

    private static String awaitDetail(DaemonProcess d, String array, java.util.function.Predicate<String> done) throws Exception {
        return d.awaitDetail(array, done, 60);
    }
}
