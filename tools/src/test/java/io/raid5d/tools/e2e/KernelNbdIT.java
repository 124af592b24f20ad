package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Linux NBD driver against raid5d: ../shared/kguest boots a Debian kernel in qemu
 * whose nbd-client attaches /dev/nbd0 to our export, makes ext4, writes, remounts, verifies
 * and fscks, then the host copies the export and checks it again (see kguest's README).
 *
 * <p>shared/ is read-only, and kguest builds into {@code out/} next to its scripts, so the
 * scripts are copied (timestamps kept, so a finished build stays valid) to
 * {@code tools/target/kguest}, where the kernel, initramfs and accelerator probe are cached
 * between runs.
 */
class KernelNbdIT {
    private static final Path KGUEST_SOURCE = Cmd.HOME.resolve("../shared/kguest").normalize();
    private static final Path KGUEST = Cmd.HOME.resolve("tools/target/kguest");

    @Test
    void linuxNbdClientMakesMountsAndChecksExt4OnTheExport(@TempDir Path dir) throws Exception {
        copyKguest();
        List<Path> members = Members.create(dir, "kg", 4, "64K", "128M");
        long started = System.nanoTime();
        Cmd.Result run;
        // qemu opens its one forwarded connection at start-up; the guest's nbd-client only
        // speaks once the kernel has booted (seconds under TCG), so no handshake timeout here.
        try (DaemonProcess d = DaemonProcess.start(dir, "--handshake-timeout", "0",
                "--array", Members.arrayArg("kg", members))) {
            run = Cmd.run(Duration.ofMinutes(10), "env", "RUNDIR=" + dir.resolve("kguest-run"),
                    KGUEST.resolve("nbd-mount-test.sh").toString(), String.valueOf(d.port()), "kg");
            assertEquals(0, run.exit(), () -> "nbd-mount-test.sh failed:\n" + run.out() + run.err() + "\nraid5d:\n" + d.log());
            assertTrue(run.out().contains("NBD-MOUNT-TEST: PASS"), run.out());
            assertTrue(run.err().contains("host cross-check OK"), run.err());
            assertEquals(0, d.stop(), d.log());
        }
        System.out.printf("kguest nbd-mount-test against raid5d took %.1f s%n", (System.nanoTime() - started) / 1e9);
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Copies the kguest scripts (not a build output the source might hold) into target/. */
    private static void copyKguest() throws IOException {
        try (Stream<Path> files = Files.walk(KGUEST_SOURCE)) {
            for (Path from : files.toList()) {
                Path rel = KGUEST_SOURCE.relativize(from);
                if (rel.startsWith("out")) {
                    continue;
                }
                Path to = KGUEST.resolve(rel.toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                    to.toFile().setWritable(true, true); // build.sh appends to .gitignore
                }
            }
        }
    }
}
