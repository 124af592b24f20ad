package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * md's read error limit through the real processes: one member is a file that nbdfuse exposes
 * from nbdkit's file plugin behind its error filter, which fails 10% of the member's reads once
 * a trigger file exists. fio (nbd engine, crc32c) writes, the errors start, fio verifies every
 * block: the reads are repaired until the member passes the limit (--max-read-errors 3), then it
 * is failed with md's words and a Fail event, and every block still verifies.
 */
class ReadErrorLimitIT {

    private static List<String> fio(String uri, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of("fio", "--name=readerrors", "--ioengine=nbd", "--uri=" + uri,
                "--rw=randwrite", "--bs=64k", "--size=90M", "--iodepth=8", "--verify=crc32c", "--randseed=7", "--verify_state_save=0"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    @Test
    void aMemberFailingReadsIsRepairedUpToTheLimitThenFailedAndFioVerifies(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "re", 4, "64K", "32M");
        Path socket = dir.resolve("nbdkit.sock");
        Path trigger = dir.resolve("errors-on");
        Path fuseMember = dir.resolve("re-m1-fuse.img");
        Files.createFile(fuseMember);
        Process nbdkit = new ProcessBuilder("nbdkit", "-f", "-U", socket.toString(), "--filter=error", "file",
                members.get(1).toString(), "error-pread-rate=10%", "error-pread-file=" + trigger)
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit.log").toFile()).start();
        Process fuse = null;
        try {
            waitFor(() -> Files.exists(socket), nbdkit, "nbdkit's socket");
            fuse = new ProcessBuilder("nbdfuse", fuseMember.toString(), "nbd+unix:///?socket=" + socket)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Process f = fuse;
            waitFor(() -> Files.size(fuseMember) > 0, f, "the nbdfuse member");
            List<Path> served = List.of(members.get(0), fuseMember, members.get(2), members.get(3));
            try (DaemonProcess d = DaemonProcess.start(dir, "--max-read-errors", "3", "--array", Members.arrayArg("re", served))) {
                Cmd.run(Duration.ofMinutes(3), fio(d.uri("re"), "--do_verify=0")).requireOk();
                Files.createFile(trigger); // the disk starts going bad
                String exceeded = fuseMember + " exceeded the read error threshold [cur 4:max 3]: failing it";
                // rounds until the limit is passed: how many errors a round meets depends on how reads merge
                for (int round = 0; round < 20 && !d.log().contains(exceeded); round++) {
                    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3"); // reads must reach the member
                    Cmd.Result verify = Cmd.run(Duration.ofMinutes(3), fio(d.uri("re"), "--verify_only"));
                    assertEquals(0, verify.exit(), "fio verify: " + verify.out() + verify.err());
                    assertTrue(verify.out().contains("err= 0"), verify.out());
                }
                String log = d.log();
                assertTrue(log.contains("read error on " + fuseMember + " corrected by rewriting the reconstructed block"), log);
                assertTrue(log.contains(exceeded), log);
                assertTrue(log.contains("event Fail re " + fuseMember), log);
                String detail = d.raid5("detail", "re").requireOk().out();
                assertTrue(detail.matches("(?s).*\\n\\s+1\\s+1 faulty\\s+" + java.util.regex.Pattern.quote(fuseMember.toString())
                        + ".*"), detail);
                assertEquals(0, d.stop(), d.log());
            }
        } finally {
            if (fuse != null) {
                Cmd.run(Duration.ofMinutes(1), "fusermount3", "-u", fuseMember.toString());
                if (!fuse.waitFor(30, TimeUnit.SECONDS)) {
                    fuse.destroyForcibly().waitFor();
                }
            }
            nbdkit.destroy();
            if (!nbdkit.waitFor(30, TimeUnit.SECONDS)) {
                nbdkit.destroyForcibly().waitFor();
            }
        }
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Array State : A.AA"), "the failure is recorded on the others\n" + examine);
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition c, Process p, String what) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (c.holds()) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError(what + ": the process exited with " + p.exitValue());
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + " not there within 30 s");
    }
}
