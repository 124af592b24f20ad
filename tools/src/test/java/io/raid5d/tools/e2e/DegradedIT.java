package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Degraded mode through the real processes: fio (nbd engine, crc32c verify) writes while a member
 * is failed with {@code raid5 fail}; {@code detail} shows the faulty member; the member is removed,
 * a spare added and rebuilt; fio verifies everything it wrote; the stopped array has 0 mismatches.
 * And the online scrub: a parity block corrupted offline is counted by {@code check} and fixed by
 * {@code repair}.
 */
class DegradedIT {

    private static List<String> fio(String uri, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=degraded", "--ioengine=nbd", "--uri=" + uri,
                "--rw=randwrite", "--bsrange=4k-64k", "--size=40M", "--iodepth=16", "--verify=crc32c",
                "--verify_fatal=1", "--randseed=11", "--verify_state_save=0"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** Polls {@code detail} until {@code done} is absent from it (bounded: a stuck rebuild fails the test). */
    private static String awaitDetailWithout(DaemonProcess d, String name, String busy) throws Exception {
        String out = "";
        for (int i = 0; i < 1200; i++) {
            out = d.raid5("detail", name).requireOk().out();
            if (!out.contains(busy)) {
                return out;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("still " + busy + " after 120 s:\n" + out);
    }

    @Test
    void memberFailsUnderFioThenSpareIsRebuiltAndEverythingVerifies(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "dg", 4, "64K", "32M");
        Path spare = dir.resolve("spare.img");
        try (RandomAccessFile f = new RandomAccessFile(spare.toFile(), "rw")) {
            f.setLength(40L << 20);
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("dg", members))) {
            Process fio = new ProcessBuilder(fio(d.uri("dg"), "--do_verify=1")).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("fio1.log").toFile()).start();
            Thread.sleep(700); // let fio get going, then pull a member
            d.raid5("fail", "dg", members.get(2).toString()).requireOk();
            assertTrue(fio.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), "fio finished");
            String fioOut = java.nio.file.Files.readString(dir.resolve("fio1.log"));
            assertEquals(0, fio.exitValue(), fioOut);
            assertFalse(fioOut.contains("verify: bad"), fioOut);
            String detail = d.raid5("detail", "dg").requireOk().out();
            assertTrue(detail.contains("degraded"), detail);
            assertTrue(detail.contains("faulty") && detail.contains(members.get(2).toString()), detail);
            assertTrue(d.raid5("status").requireOk().out().contains("[4/3] [UU_U]"));

            d.raid5("remove", "dg", members.get(2).toString()).requireOk();
            d.raid5("add", "dg", spare.toString()).requireOk();
            String after = awaitDetailWithout(d, "dg", "recovering");
            assertFalse(after.contains("degraded"), after);
            assertTrue(after.contains("active sync") && after.contains(spare.toString()), after);
            Cmd.Result verify = Cmd.run(Duration.ofMinutes(5), fio(d.uri("dg"), "--verify_only")).requireOk();
            assertFalse(verify.out().contains("verify: bad"), verify.out());
            assertEquals(0, d.stop(), d.log());
        }
        List<Path> now = new ArrayList<>(members);
        now.set(2, spare);
        String check = Cmd.raid5(Members.pathArgs("check --offline", now)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        String examine = Cmd.raid5("examine", spare.toString()).requireOk().out();
        assertTrue(examine.contains("Active device 2"), examine);
    }

    @Test
    void checkCountsCorruptParityAndRepairFixesIt(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "ck", 4, "64K", "8M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ck", members))) {
            Cmd.run(Duration.ofMinutes(2), "fio", "--name=fill", "--ioengine=nbd", "--uri=" + d.uri("ck"), "--rw=write",
                    "--bs=1M", "--size=16M", "--iodepth=4").requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        // row 0's parity is on member 3 (left-symmetric): flip bytes in its second 4 KiB block
        String examine = Cmd.raid5("examine", members.get(3).toString()).requireOk().out();
        long dataOffsetSectors = Long.parseLong(examine.replaceAll("(?s).*Data Offset\\s*:\\s*(\\d+) sectors.*", "$1"));
        try (RandomAccessFile f = new RandomAccessFile(members.get(3).toFile(), "rw")) {
            f.seek(dataOffsetSectors * 512 + 4096);
            f.write(new byte[] {9, 9, 9});
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ck", members))) {
            d.raid5("check", "ck").requireOk();
            String after = awaitDetailWithout(d, "ck", "Check Status");
            assertTrue(after.contains("Mismatch Count : 8"), after);
            d.raid5("repair", "ck").requireOk();
            awaitDetailWithout(d, "ck", "Check Status");
            d.raid5("check", "ck").requireOk();
            after = awaitDetailWithout(d, "ck", "Check Status");
            assertTrue(after.contains("Mismatch Count : 0"), after);
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }
}
