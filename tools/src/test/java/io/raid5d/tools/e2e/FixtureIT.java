package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Arrays made by the Linux kernel's md driver assemble here and serve exactly the bytes md wrote. */
class FixtureIT {
    static final Path FIXTURES = Cmd.HOME.resolve("../shared/fixtures").normalize();

    @ParameterizedTest
    @ValueSource(strings = {"ls4-c64-bm1m", "la5-c16-nobm"})
    void kernelMadeArrayServesItsBytes(String fixture, @TempDir Path dir) throws Exception {
        Properties p = properties(fixture);
        int count = Integer.parseInt(p.getProperty("members"));
        Cmd.run(Duration.ofMinutes(1), "tar", "-xJf", FIXTURES.resolve(fixture + "/members.tar.xz").toString(),
                "-C", dir.toString()).requireOk();
        List<Path> members = Members.paths(dir, "member", count);

        String examine = Cmd.raid5("examine", members.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Raid Devices : " + count), examine);
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);

        Path copy = dir.resolve("array.bin");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("fx", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("fx"), copy.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        assertEquals(Long.parseLong(p.getProperty("array_size_bytes")), Files.size(copy));
        assertEquals(p.getProperty("sha256_array"), Members.sha256(copy));
        // After our clean stop the kernel's tools still read the members as a clean array.
        String mdadm = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(mdadm.contains("State : clean"), mdadm);
        assertTrue(mdadm.matches("(?s).*Checksum : \\p{XDigit}+ - correct.*"), mdadm);
    }

    static Properties properties(String fixture) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(FIXTURES.resolve(fixture + "/fixture.properties"))) {
            p.load(in);
        }
        return p;
    }
}
