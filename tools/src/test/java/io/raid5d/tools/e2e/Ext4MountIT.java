package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's own ext4 on top of the export: nbdfuse exposes it as a file, a loop device
 * mounts it. Make, mount, write, unmount, remount, verify, fsck clean; then the members hold
 * consistent parity.
 */
class Ext4MountIT {

    @Test
    void ext4OnTheExportSurvivesRemountAndFsck(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "fs", 4, "64K", "128M");
        Path fuseDir = Files.createDirectory(dir.resolve("fuse"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path disk = fuseDir.resolve("disk");

        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("fs", members))) {
            Process fuse = new ProcessBuilder("nbdfuse", disk.toString(), d.uri("fs"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                waitForFile(disk, fuse);
                Cmd.run(Duration.ofMinutes(3), "mkfs.ext4", "-q", "-F", disk.toString()).requireOk();
                Cmd.run(Duration.ofMinutes(1), "mount", "-o", "loop", disk.toString(), mnt.toString()).requireOk();
                List<String> sums;
                try {
                    sums = writeFiles(mnt);
                    Cmd.run(Duration.ofMinutes(1), "sync").requireOk();
                } finally {
                    Cmd.run(Duration.ofMinutes(2), "umount", mnt.toString()).requireOk();
                }
                Cmd.run(Duration.ofMinutes(1), "mount", "-o", "loop,ro", disk.toString(), mnt.toString()).requireOk();
                try {
                    assertEquals(sums, checksums(mnt));
                } finally {
                    Cmd.run(Duration.ofMinutes(2), "umount", mnt.toString()).requireOk();
                }
                Cmd.Result fsck = Cmd.run(Duration.ofMinutes(3), "e2fsck", "-fn", disk.toString());
                assertEquals(0, fsck.exit(), "e2fsck found problems:\n" + fsck.out() + fsck.err());
            } finally {
                Cmd.run(Duration.ofMinutes(1), "fusermount3", "-u", fuseDir.toString());
                if (!fuse.waitFor(30, TimeUnit.SECONDS)) {
                    fuse.destroyForcibly().waitFor();
                }
            }
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    private static void waitForFile(Path disk, Process fuse) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (Files.exists(disk) && Files.size(disk) > 0) {
                return;
            }
            if (!fuse.isAlive()) {
                throw new AssertionError("nbdfuse exited with " + fuse.exitValue());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nbdfuse did not expose " + disk + " within 30 s");
    }

    /** Files of several sizes, including ones that straddle chunks and stripes. */
    private static List<String> writeFiles(Path mnt) throws Exception {
        Random random = new Random(7);
        Files.createDirectories(mnt.resolve("d"));
        int[] sizes = {0, 1, 511, 4096, 65535, 777777, 3 << 20, 9 << 20};
        for (int i = 0; i < sizes.length; i++) {
            byte[] b = new byte[sizes[i]];
            random.nextBytes(b);
            Files.write(mnt.resolve("d/file" + i), b);
        }
        for (int i = 0; i < 64; i++) {
            Files.writeString(mnt.resolve("d/small" + i), "small file " + i + "\n".repeat(i));
        }
        return checksums(mnt);
    }

    private static List<String> checksums(Path mnt) throws Exception {
        List<String> sums = new ArrayList<>();
        try (var files = Files.list(mnt.resolve("d"))) {
            for (Path f : files.sorted().toList()) {
                sums.add(f.getFileName() + " " + Members.sha256(f));
            }
        }
        return sums;
    }
}
