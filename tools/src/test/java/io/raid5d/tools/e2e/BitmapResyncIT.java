package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
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

/**
 * The point of the bitmap: kill -9 the daemon during writes, restart it, and the resync reads
 * only the chunks whose bits were set, not the whole array; acknowledged data survives and
 * parity ends consistent.
 */
class BitmapResyncIT {
    private static final Pattern RESYNC_DONE = Pattern.compile("resync finished: (\\d+) of (\\d+) member sectors needed it");

    @Test
    void crashThenResyncOnlyTheDirtyChunks(@TempDir Path dir) throws Exception {
        // 4 x 256 MiB, 4 MiB bitmap chunks: 64 bits per member.
        List<Path> members = Members.create(dir, "bm", 4, "512K", "256M", "--bitmap-chunk", "4M");
        byte[] data = new byte[32 << 20];
        new Random(5).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);

        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("bm", members))) {
            // Acknowledged and flushed: must survive the crash.
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("bm")).requireOk();
            // Then random writes to the next 32 MiB of the array, killed in the middle.
            Process fio = new ProcessBuilder("fio", "--name=crash", "--ioengine=nbd", "--uri=" + d.uri("bm"),
                    "--rw=randwrite", "--bs=4k", "--iodepth=16", "--offset=32M", "--size=32M", "--time_based",
                    "--runtime=20", "--verify=0")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("fio.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Thread.sleep(1500);
            d.kill();
            fio.waitFor();
        }
        String examine = Cmd.raid5("examine", members.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("State : active"), "a crash leaves the array dirty:\n" + examine);
        String bitmap = Cmd.raid5("examine-bitmap", members.get(0).toString()).requireOk().out();
        Matcher dirty = Pattern.compile("(\\d+) dirty").matcher(bitmap);
        assertTrue(dirty.find() && Long.parseLong(dirty.group(1)) > 0, bitmap);

        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("bm", members))) {
            Matcher m = awaitResync(d);
            long synced = Long.parseLong(m.group(1));
            long total = Long.parseLong(m.group(2));
            System.out.printf("bitmap resync after kill -9: %d of %d member sectors synced (%.1f%%)%n",
                    synced, total, 100.0 * synced / total);
            // The writes touched array bytes [0, 64 MiB) = member sectors [0, 43690): at most 6 chunks of 8192 sectors.
            assertTrue(synced > 0 && synced <= 6 * 8192L, "resync read " + synced + " of " + total + " sectors");
            assertEquals(256L * 2048, total);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("bm"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        byte[] back = Files.readAllBytes(out);
        assertArrayEquals(data, Arrays.copyOf(back, data.length), "flushed data survives the crash");
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    private static Matcher awaitResync(DaemonProcess d) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            Matcher m = RESYNC_DONE.matcher(d.log());
            if (m.find()) {
                return m;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no resync finished within 60 s:\n" + d.log());
    }
}
