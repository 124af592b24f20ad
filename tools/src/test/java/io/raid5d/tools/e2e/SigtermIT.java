package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM in the middle of a stream of writes: drain, exit 0, members clean and consistent. */
class SigtermIT {

    @Test
    void sigtermDuringWritesStopsCleanWithConsistentParity(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "term", 4, "64K", "128M");
        byte[] data = new byte[256 << 20];
        new Random(9).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("term", members))) {
            Process copy = new ProcessBuilder("nbdcopy", "--requests=16", in.toString(), d.uri("term"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nbdcopy.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Thread.sleep(700); // let writes be in flight
            assertEquals(0, d.stop(), d.log());
            assertTrue(d.log().contains("stopped cleanly"), d.log());
            if (!copy.waitFor(60, TimeUnit.SECONDS)) {
                copy.destroyForcibly().waitFor();
            }
        }
        for (Path m : members) {
            assertTrue(Cmd.raid5("examine", m.toString()).requireOk().out().contains("State : clean"), m.toString());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }
}
