package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's md takes an array raid5d created with a spare ({@code raid5 create
 * --spare-devices 1}) as its own: in the kguest VM, mdadm assembles it and sees three members and
 * one spare, a member is failed, md rebuilds onto the spare, md's check finds 0 mismatches and
 * the array's bytes are those raid5d wrote; back on the host, raid5d assembles the members md
 * rebuilt and serves the same bytes (tools/src/test/kguest/md-run.sh, guest/md-spare.sh).
 */
class KernelSpareIT {
    @Test
    void theKernelRebuildsOntoASpareRaid5dCreated(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "ks", 4);
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --spare-devices 1 --chunk 64K --size 16M --name ks", devices))
                .requireOk();
        String array = "ks=" + String.join(",", devices.stream().map(Path::toString).toList());
        byte[] data = new byte[32 << 20];
        new Random(41).nextBytes(data);
        Path in = dir.resolve("ks.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", array)) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("ks")).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        long arrayBytes = Long.parseLong(Cmd.raid5("examine", devices.get(0).toString()).requireOk().out()
                .replaceAll("(?s).*Array Size : (\\d+) KiB.*", "$1")) * 1024;
        Path expected = dir.resolve("expected.bin");
        byte[] whole = new byte[(int) arrayBytes];
        System.arraycopy(data, 0, whole, 0, data.length);
        Files.write(expected, whole);
        String sha = Members.sha256(expected);

        Path results = KernelMd.run("md-spare.sh", dir.resolve("kguest-run"), devices);
        assertEquals(sha, Files.readString(results.resolve("md0-before.sha256")).strip(), "md reads what raid5d wrote");
        assertEquals(sha, Files.readString(results.resolve("md0-after.sha256")).strip(), "and the same after its rebuild");
        assertEquals("0", Files.readString(results.resolve("mismatch_cnt")).strip(), "md's check after its rebuild");
        String roles = Files.readString(results.resolve("roles.txt"));
        assertTrue(roles.matches("(?s).*member3 +Device Role : Active device 1.*"), "the spare took role 1:\n" + roles);

        // back on the host: the members as md left them (member1 faulty, the spare in role 1)
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", array)) {
            String detail = d.raid5("detail", "ks").requireOk().out();
            assertTrue(detail.matches("(?s).*\\s1\\s+active sync\\s+" + java.util.regex.Pattern.quote(devices.get(3).toString()) + ".*"),
                    detail);
            Path out = dir.resolve("ks.out");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("ks"), out.toString()).requireOk();
            assertEquals(sha, Members.sha256(out));
            assertEquals(0, d.stop(), d.log());
        }
    }
}
