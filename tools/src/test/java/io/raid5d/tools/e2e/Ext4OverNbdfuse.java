package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's ext4 on an NBD export, on a machine without the nbd module: nbdfuse exposes the
 * export as a file, a loop device mounts it. Make, mount, write, unmount, remount read-only,
 * verify every file, unmount and fsck clean; nbdfuse is always unmounted.
 */
final class Ext4OverNbdfuse {
    /** Writes the test's files under {@code dir} (a directory on the mounted ext4). */
    interface Writer {
        void write(Path dir) throws Exception;
    }

    private Ext4OverNbdfuse() {
    }

    static void roundTrip(Path work, String uri, int connections, List<String> mkfsOptions, Writer writer)
            throws Exception {
        Path fuseDir = Files.createDirectory(work.resolve("fuse"));
        Path mnt = Files.createDirectory(work.resolve("mnt"));
        Path disk = fuseDir.resolve("disk");
        Process fuse = new ProcessBuilder("nbdfuse", "-C", String.valueOf(connections), disk.toString(), uri)
                .redirectErrorStream(true).redirectOutput(work.resolve("nbdfuse.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            waitForFile(disk, fuse);
            List<String> mkfs = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F"));
            mkfs.addAll(mkfsOptions);
            mkfs.add(disk.toString());
            Cmd.run(Duration.ofMinutes(3), mkfs).requireOk();
            Cmd.run(Duration.ofMinutes(1), "mount", "-o", "loop", disk.toString(), mnt.toString()).requireOk();
            List<String> sums;
            try {
                Path d = Files.createDirectories(mnt.resolve("d"));
                writer.write(d);
                sums = checksums(d);
                Cmd.run(Duration.ofMinutes(1), "sync").requireOk();
            } finally {
                Cmd.run(Duration.ofMinutes(2), "umount", mnt.toString()).requireOk();
            }
            Cmd.run(Duration.ofMinutes(1), "mount", "-o", "loop,ro", disk.toString(), mnt.toString()).requireOk();
            try {
                assertEquals(sums, checksums(mnt.resolve("d")));
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

    private static List<String> checksums(Path dir) throws Exception {
        List<String> sums = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                sums.add(f.getFileName() + " " + Members.sha256(f));
            }
        }
        return sums;
    }
}
