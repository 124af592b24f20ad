package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.bitmap.FileBitmapStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File bitmaps and grow --bitmap through the real programs: {@code raid5 create --bitmap FILE
 * --delay 1}, {@code raid5d --bitmap NAME=FILE}, nbdcopy, lazy clearing seen by {@code raid5
 * examine-bitmap} on the running array, {@code mdadm -X} agreeing with ours after a crash,
 * {@code raid5 grow --bitmap internal|none} with {@code mdadm --examine}/{@code -X} checking the
 * superblocks, restarts with the new bitmap, and a stale bitmap file reported in the daemon log.
 */
class FileBitmapIT {
    private static final Pattern DIRTY = Pattern.compile("Bitmap : (\\d+) bits \\(chunks\\), (\\d+) dirty");

    @Test
    void fileBitmapLifecycleGrowAndStaleFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fb.bitmap");
        List<Path> members = Members.create(dir, "fb", 3, "512K", "64M", "--bitmap", file.toString(),
                "--bitmap-chunk", "1M", "--delay", "1");
        assertTrue(Files.exists(file), "create makes the bitmap file");
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Feature Map : 0x0"), "a file bitmap is not in the superblock:\n" + examine);
        assertEquals(0, dirty(Cmd.raid5("examine-bitmap", file.toString()).requireOk().out()), "new members: clean");
        Path oldCopy = dir.resolve("old.bitmap");
        Files.copy(file, oldCopy, StandardCopyOption.REPLACE_EXISTING); // events 0: stale later

        byte[] data = new byte[8 << 20];
        new Random(3).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        String array = Members.arrayArg("fb", members);

        try (DaemonProcess d = DaemonProcess.start(dir, "--array", array, "--bitmap", "fb=" + file)) {
            assertTrue(d.log().contains("bitmap " + file), d.log());
            String detail = d.raid5("detail", "fb").requireOk().out();
            assertTrue(detail.contains(file.toString()), detail);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("fb")).requireOk();
            // Lazy clearing: dirty right after the writes, clear after two idle daemon_sleep periods.
            String running = Cmd.raid5("examine-bitmap", file.toString()).requireOk().out();
            assertTrue(dirty(running) > 0, "bits set while the writes are fresh:\n" + running);
            awaitClean(file);
            // More writes, then a crash before they can be cleared.
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("fb")).requireOk();
            d.kill();
        }
        String ours = Cmd.raid5("examine-bitmap", file.toString()).requireOk().out();
        String mdadm = Cmd.run(Duration.ofMinutes(1), "mdadm", "-X", file.toString()).requireOk().out();
        assertTrue(dirty(ours) > 0, ours);
        assertEquals(mdadm, ours, "mdadm -X and raid5 examine-bitmap read the file alike");

        Path out = dir.resolve("out.bin");
        // This time the configuration file names the bitmap file (mdadm.conf's ARRAY ... bitmap=).
        Path conf = dir.resolve("raid5d.conf");
        Files.writeString(conf, "ARRAY fb devices=" + Members.arrayArg("fb", members).substring(3) + " bitmap=" + file + "\n");
        try (DaemonProcess d = DaemonProcess.start(dir, "--config", conf.toString())) {
            assertTrue(d.log().contains("bitmap " + file), d.log());
            assertFalse(d.log().contains("WARNING"), d.log());
            assertTrue(d.log().contains("resync"), d.log());
            // Move the bitmap onto the members while the array runs.
            d.raid5("grow", "fb", "--bitmap", "internal").requireOk();
            String md = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
            assertTrue(md.contains("Internal Bitmap : 8 sectors from superblock"), md);
            String internal = mdadmX(members.get(1));
            assertTrue(internal.contains("Daemon : 1s flush period"), "the delay carries over:\n" + internal);
            assertTrue(d.raid5("detail", "fb").requireOk().out().contains("internal"));
            FileBitmapStore.open(file).close(); // the daemon let go of the file
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("fb")).requireOk();
            assertTrue(dirty(Cmd.raid5("examine-bitmap", members.get(2).toString()).requireOk().out()) > 0);
            awaitClean(members.get(2));
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("fb"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length));

        // Restart with the new (internal) bitmap, then remove it.
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", array)) {
            assertTrue(d.log().contains("bitmap internal"), d.log());
            d.raid5("grow", "fb", "--bitmap", "none").requireOk();
            String md = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
            assertFalse(md.contains("Internal Bitmap"), md);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("fb"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length));

        // An old copy of the file: older events than the array -> full recovery, said in the log.
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", array, "--bitmap", "fb=" + oldCopy)) {
            awaitLog(d, "bitmap file is out of date (0 < ");
            awaitLog(d, "forcing full recovery");
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** mdadm -X takes a regular file for a bitmap file: a member image is read through a loop device. */
    private static String mdadmX(Path member) throws Exception {
        String loop = Cmd.run(Duration.ofMinutes(1), "losetup", "--find", "--show", "--read-only", member.toString())
                .requireOk().out().trim();
        try {
            return Cmd.run(Duration.ofMinutes(1), "mdadm", "-X", loop).requireOk().out();
        } finally {
            Cmd.run(Duration.ofMinutes(1), "losetup", "-d", loop).requireOk();
        }
    }

    private static long dirty(String report) {
        Matcher m = DIRTY.matcher(report);
        assertTrue(m.find(), report);
        return Long.parseLong(m.group(2));
    }

    /** Polls until the bitmap shows no dirty bit (daemon_sleep is 1 s: two passes); bounded. */
    private static void awaitClean(Path bitmap) throws Exception {
        String last = "";
        for (int i = 0; i < 300; i++) {
            last = Cmd.raid5("examine-bitmap", bitmap.toString()).requireOk().out();
            if (dirty(last) == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("bits still set after 30 s idle:\n" + last);
    }

    private static void awaitLog(DaemonProcess d, String text) throws InterruptedException {
        for (int i = 0; i < 300 && !d.log().contains(text); i++) {
            Thread.sleep(100);
        }
        assertTrue(d.log().contains(text), "daemon log lacks '" + text + "':\n" + d.log());
    }
}
