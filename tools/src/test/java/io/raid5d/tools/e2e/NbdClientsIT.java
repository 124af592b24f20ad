package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** raid5 create, raid5d over NBD, real clients (nbdinfo, nbdcopy, mdadm), clean stop, offline check. */
class NbdClientsIT {

    @Test
    void nbdinfoAndNbdcopyRoundTripThenCleanStop(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "e2e", 4, "64K", "96M");
        long expectedSize = 3L * 96 * 1024 * 1024;

        // mdadm reads what we wrote: UUID, name, level, devices, chunk, layout, a correct checksum.
        String examine = Cmd.raid5("examine", members.get(0).toString()).requireOk().out();
        Matcher uuid = Pattern.compile("Array UUID : (\\S+)").matcher(examine);
        assertTrue(uuid.find(), examine);
        String mdadm = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(mdadm.contains("Array UUID : " + uuid.group(1)), mdadm);
        assertTrue(mdadm.matches("(?s).*Name : \\S*e2e.*"), mdadm);
        assertTrue(mdadm.contains("Raid Level : raid5"), mdadm);
        assertTrue(mdadm.contains("Raid Devices : 4"), mdadm);
        assertTrue(mdadm.contains("Chunk Size : 64K"), mdadm);
        assertTrue(mdadm.contains("Layout : left-symmetric"), mdadm);
        assertTrue(mdadm.matches("(?s).*Checksum : \\p{XDigit}+ - correct.*"), mdadm);

        byte[] data = new byte[64 << 20];
        new Random(42).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        Path out = dir.resolve("out.bin");

        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("e2e", members))) {
            String info = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--json", d.uri("e2e")).requireOk().out();
            assertTrue(info.matches("(?s).*\"export-size\":\\s*" + expectedSize + "\\b.*"), info);
            assertTrue(info.matches("(?s).*\"is_read_only\":\\s*false.*"), info);
            assertTrue(info.matches("(?s).*\"can_flush\":\\s*true.*"), info);
            assertTrue(info.matches("(?s).*\"can_fua\":\\s*true.*"), info);

            Cmd.run(Duration.ofMinutes(3), "nbdcopy", in.toString(), d.uri("e2e")).requireOk();
            Cmd.run(Duration.ofMinutes(3), "nbdcopy", d.uri("e2e"), out.toString()).requireOk();

            String detail = Cmd.raid5("--control", d.controlSocket().toString(), "detail", "e2e").requireOk().out();
            assertTrue(detail.contains("Raid Devices : 4"), detail);
            assertEquals(0, d.stop(), d.log());
        }

        byte[] back = Files.readAllBytes(out);
        assertEquals(expectedSize, back.length);
        assertArrayEquals(data, Arrays.copyOf(back, data.length));
        for (int i = data.length; i < back.length; i++) {
            if (back[i] != 0) {
                throw new AssertionError("byte " + i + " beyond the written range is not zero");
            }
        }
        assertTrue(Cmd.raid5("examine", members.get(0).toString()).requireOk().out().contains("State : clean"));
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }
}
