package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The kernel's md at work on member files, in the kguest VM (tools/src/test/kguest/md-run.sh). */
final class KernelMd {
    private static final Path MD_RUN = Cmd.HOME.resolve("tools/src/test/kguest/md-run.sh");

    private KernelMd() {
    }

    /**
     * Runs guest script {@code guest/NAME} with {@code devices} as disks member0.. and returns the
     * directory of what it left in /results; fails the test if the guest script failed.
     */
    static Path run(String guestScript, Path work, List<Path> devices) throws Exception {
        List<String> command = new ArrayList<>(List.of(MD_RUN.toString(),
                Cmd.HOME.resolve("tools/src/test/kguest/guest/" + guestScript).toString(), work.toString()));
        devices.forEach(p -> command.add(p.toString()));
        Cmd.Result run = Cmd.run(Duration.ofMinutes(10), command);
        assertEquals(0, run.exit(), () -> "md-run.sh " + guestScript + " failed:\n" + run.out() + run.err());
        return work.resolve("results");
    }
}
