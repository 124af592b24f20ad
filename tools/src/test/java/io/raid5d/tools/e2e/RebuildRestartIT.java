package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rebuild interrupted by SIGTERM resumes where it stopped: the spare's superblock records md's
 * recovery_offset, and the restarted daemon rebuilds only the sectors after it.
 */
class RebuildRestartIT {
    private static final long MEMBER_SECTORS = 16L * 2048; // --size 16M
    private static final Pattern RECOVERED = Pattern.compile("\"recovered_sectors\":(\\d+)");
    private static final Pattern STOPPED = Pattern.compile("recovery stopped at sector (\\d+)");
    private static final Pattern STARTED = Pattern.compile("recovery started at sector (\\d+)");
    private static final Pattern FINISHED = Pattern.compile("recovery finished at sector (\\d+), counted (\\d+)");
    private static final Pattern OFFSET = Pattern.compile("Recovery Offset : (\\d+) sectors");

    @Test
    void sigtermMidRebuildThenRestartResumesFromTheCheckpoint(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "rr", 4, "64K", "16M");
        Path spare = dir.resolve("spare.img");
        try (RandomAccessFile f = new RandomAccessFile(spare.toFile(), "rw")) {
            f.setLength(20L << 20);
        }
        byte[] data = new byte[48 << 20];
        new Random(17).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);

        long stoppedAt;
        // 2 MiB/s: the 16 MiB member takes about 8 s to rebuild, so SIGTERM lands in the middle.
        try (DaemonProcess d = DaemonProcess.start(dir, "--sync-speed-max", "2048", "--sync-speed-min", "2048",
                "--array", Members.arrayArg("rr", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("rr")).requireOk();
            d.raid5("fail", "rr", members.get(1).toString()).requireOk();
            d.raid5("remove", "rr", members.get(1).toString()).requireOk();
            d.raid5("add", "rr", spare.toString()).requireOk();
            awaitRecovered(d, MEMBER_SECTORS / 8);
            assertEquals(0, d.stop(), d.log());
            stoppedAt = Long.parseLong(STOPPED.matcher(d.log()).results().reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no 'recovery stopped' line:\n" + d.log())).group(1));
        }
        String examine = Cmd.raid5("examine", spare.toString()).requireOk().out();
        Matcher offset = OFFSET.matcher(examine);
        assertTrue(offset.find(), examine);
        long checkpoint = Long.parseLong(offset.group(1));
        assertTrue(checkpoint > 0 && checkpoint < MEMBER_SECTORS, "recovery offset " + checkpoint + ":\n" + examine);
        assertEquals(stoppedAt, checkpoint, "the spare records where the rebuild stopped");
        System.out.printf("rebuild stopped by SIGTERM at member sector %d of %d%n", checkpoint, MEMBER_SECTORS);

        List<Path> now = new ArrayList<>(members);
        now.set(1, spare);
        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("rr", now))) {
            Matcher done = d.awaitLog(FINISHED, 60);
            Matcher started = STARTED.matcher(d.log());
            assertTrue(started.find(), d.log());
            assertEquals(checkpoint, Long.parseLong(started.group(1)), "resumed from the checkpoint:\n" + d.log());
            assertEquals(MEMBER_SECTORS, Long.parseLong(done.group(1)), d.log());
            assertEquals(MEMBER_SECTORS - checkpoint, Long.parseLong(done.group(2)),
                    "only the sectors after the checkpoint are rebuilt:\n" + d.log());
            String detail = d.raid5("detail", "rr").requireOk().out();
            assertTrue(!detail.contains("degraded") && detail.contains("active sync"), detail);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("rr"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length), "data reads back after the rebuild");
        String check = Cmd.raid5(Members.pathArgs("check --offline", now)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Polls {@code detail --json} until the rebuild recovered at least {@code sectors} (bounded). */
    private static void awaitRecovered(DaemonProcess d, long sectors) throws Exception {
        String json = "";
        for (int i = 0; i < 600; i++) {
            json = d.raid5("detail", "--json", "rr").requireOk().out();
            Matcher m = RECOVERED.matcher(json);
            if (m.find() && Long.parseLong(m.group(1)) >= sectors) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("rebuild did not reach " + sectors + " sectors:\n" + json);
    }
}
