package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Member data bypasses the page cache (issue #15): raid5d opens block-device members with
 * O_DIRECT by default (as md never caches member data) and member files too with
 * {@code --direct-io on}; seen from outside in /proc/PID/fdinfo, with data that reads back
 * byte-exact through NBD and parity that checks clean.
 */
class DirectIoIT {
    private static final int O_DIRECT = 040000;

    /** How many of the daemon's descriptors on {@code target} have O_DIRECT, and how many it has. */
    private static int[] directDescriptors(long pid, String target) throws IOException {
        int direct = 0;
        int all = 0;
        try (var fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    if (!Files.readSymbolicLink(fd).toString().equals(target)) {
                        continue;
                    }
                    all++;
                    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo", fd.getFileName().toString()))) {
                        if (line.startsWith("flags:") && (Integer.parseInt(line.substring(6).trim(), 8) & O_DIRECT) != 0) {
                            direct++;
                        }
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return new int[] {direct, all};
    }

    private static void roundTrip(Path dir, DaemonProcess d, String export, int mib) throws Exception {
        byte[] data = new byte[mib << 20];
        new Random(mib).nextBytes(data);
        Path in = dir.resolve("in-" + export + ".bin");
        Path out = dir.resolve("out-" + export + ".bin");
        Files.write(in, data);
        Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri(export)).requireOk();
        Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri(export), out.toString()).requireOk();
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length));
    }

    @Test
    void blockDeviceMembersAreDirectByDefault(@TempDir Path dir) throws Exception {
        List<String> loops = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Path backing = dir.resolve("back" + i + ".img");
                try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
                    f.setLength(40L << 20);
                }
                loops.add(Cmd.run(Duration.ofMinutes(1), "losetup", "-f", "--show", backing.toString()).requireOk().out().strip());
            }
            List<String> create = new ArrayList<>(List.of("create", "--raid-devices", "3", "--chunk", "64K", "--size", "32M",
                    "--name", "blk", "--force"));
            create.addAll(loops);
            Cmd.raid5(create.toArray(String[]::new)).requireOk();
            try (DaemonProcess d = DaemonProcess.start(dir, "--array", "blk=" + String.join(",", loops))) {
                for (String loop : loops) {
                    int[] fds = directDescriptors(d.pid(), loop);
                    // three descriptors: the O_EXCL claim (holds the device, no I/O), and the two that
                    // do I/O, both direct: the channel for single requests and the one for vectored
                    // (merged) requests
                    assertTrue(fds[1] == 3 && fds[0] == 2, loop + ": " + fds[0] + " of " + fds[1] + " descriptors direct");
                }
                roundTrip(dir, d, "blk", 24);
                assertEquals(0, d.stop(), d.log());
            }
            List<String> check = new ArrayList<>(List.of("check", "--offline"));
            check.addAll(loops);
            String out = Cmd.raid5(check.toArray(String[]::new)).requireOk().out();
            assertTrue(out.contains(" 0 mismatched sectors"), out);
        } finally {
            for (String loop : loops) {
                Cmd.run(Duration.ofMinutes(1), "losetup", "-d", loop);
            }
        }
    }

    @Test
    void memberFilesAreDirectWhenAskedForAndBufferedOtherwise(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "df", 3, "64K", "16M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--direct-io", "on", "--array", Members.arrayArg("df", members))) {
            int[] fds = directDescriptors(d.pid(), members.get(0).toString());
            assertTrue(fds[1] >= 1 && fds[0] == fds[1], "--direct-io on: " + fds[0] + " of " + fds[1]);
            roundTrip(dir, d, "df", 16);
            assertEquals(0, d.stop(), d.log());
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("df", members))) {
            int[] fds = directDescriptors(d.pid(), members.get(0).toString());
            assertTrue(fds[1] >= 1 && fds[0] == 0, "auto: member files stay buffered");
            assertEquals(0, d.stop(), d.log());
        }
        String out = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(out.contains(" 0 mismatched sectors"), out);
    }
}
