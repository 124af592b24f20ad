package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
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
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("fs", members))) {
            Ext4OverNbdfuse.roundTrip(dir, d.uri("fs"), 1, List.of(), Ext4MountIT::writeFiles);
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Files of several sizes, including ones that straddle chunks and stripes. */
    private static void writeFiles(Path d) throws Exception {
        Random random = new Random(7);
        int[] sizes = {0, 1, 511, 4096, 65535, 777777, 3 << 20, 9 << 20};
        for (int i = 0; i < sizes.length; i++) {
            byte[] b = new byte[sizes[i]];
            random.nextBytes(b);
            Files.write(d.resolve("file" + i), b);
        }
        for (int i = 0; i < 64; i++) {
            Files.writeString(d.resolve("small" + i), "small file " + i + "\n".repeat(i));
        }
    }

}
