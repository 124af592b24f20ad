package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online grow through the real processes, as an mdadm user runs one: {@code raid5 add} a
 * spare, {@code raid5 grow NAME --raid-devices N} while fio (nbd engine, crc32c verify) writes;
 * {@code detail} and {@code status} show the reshape's progress; at the end a new connection sees
 * the bigger export, fio verifies, the bytes written before the grow are there, the new space
 * reads zeros; 3 -> 4 then 4 -> 5 members; mdadm --examine reads the grown members and
 * {@code check --offline} finds 0 mismatches. And kill -9 at random moments of a grow, again and
 * again: every restart resumes the grow (mdadm shows the reshape position), and the data verifies.
 */
class OnlineGrowIT {
    private static final int MIB = 1 << 20;

    private static List<String> fio(String uri, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=grow", "--ioengine=nbd", "--uri=" + uri,
                "--rw=randwrite", "--bsrange=4k-128k", "--size=40M", "--iodepth=16", "--verify=crc32c",
                "--verify_fatal=1", "--randseed=19", "--verify_state_save=0"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    @Test
    void growsThreeToFourThenFourToFiveUnderFio(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "og", 3, "64K", "32M");
        List<Path> spares = List.of(blank(dir, "og-s1.img", members.get(0)), blank(dir, "og-s2.img", members.get(0)));
        byte[] tail = new byte[24 * MIB]; // written before the grows past fio's 40 MiB, checked after
        new Random(53).nextBytes(tail);
        Path tailFile = dir.resolve("tail.bin");
        Files.write(tailFile, tail);
        try (DaemonProcess d = DaemonProcess.start(dir, "--sync-speed-min", "3000", "--sync-speed-max", "6000",
                "--array", Members.arrayArg("og", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", "--", tailFile.toString(),
                    "[", "nbdkit", "--filter=offset", "nbd", "uri=" + d.uri("og"), "offset=" + 40 * MIB,
                    "range=" + 24 * MIB, "]").requireOk();
            String refused = d.raid5("grow", "og", "--raid-devices", "4").err();
            assertTrue(refused.contains("needs 1 spare, it has 0") && refused.contains("raid5 add"), refused);

            Path monOut = dir.resolve("monitor.out");
            Path monErr = dir.resolve("monitor.err");
            Process monitor = new ProcessBuilder(Cmd.bin("raid5").toString(), "--control", d.controlSocket().toString(),
                    "monitor").redirectOutput(monOut.toFile()).redirectError(monErr.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            for (int i = 0; i < 300 && !Files.readString(monErr).contains("monitoring raid5d"); i++) {
                Thread.sleep(100);
            }
            int members1 = 3;
            for (Path spare : spares) {
                int to = members1 + 1;
                d.raid5("add", "og", spare.toString()).requireOk();
                Process fio = new ProcessBuilder(fio(d.uri("og"), "--do_verify=1")).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("fio" + to + ".log").toFile()).start();
                Thread.sleep(500);
                String started = d.raid5("grow", "og", "--raid-devices", String.valueOf(to)).requireOk().out();
                assertTrue(started.contains("growing og to " + to + " members"), started);
                String detail = d.raid5("detail", "og").requireOk().out();
                assertTrue(detail.contains("reshaping") && detail.contains("Reshape Status")
                        && detail.contains("Delta Devices : 1, (" + members1 + "->" + to + ")"), detail);
                assertTrue(detail.contains("Array Size : " + (members1 - 1) * 32 * 1024 + " KiB"), "the old size until the end");
                String status = d.raid5("status").requireOk().out();
                assertTrue(Pattern.compile("\\[=*>\\.*\\]  reshape = \\d+\\.\\d% \\(\\d+/" + (to - 1) * 32 * 1024 + "\\)")
                        .matcher(status).find(), status);
                assertTrue(fio.waitFor(5, TimeUnit.MINUTES), "fio finished");
                String fioOut = Files.readString(dir.resolve("fio" + to + ".log"));
                assertEquals(0, fio.exitValue(), fioOut);
                assertFalse(fioOut.contains("verify: bad"), fioOut);
                String grown = d.awaitDetail("og", s -> !s.contains("reshaping"), 180);
                assertTrue(grown.contains("Raid Devices : " + to) && !grown.contains("degraded"), grown);
                assertTrue(grown.contains("Array Size : " + (to - 1) * 32 * 1024 + " KiB"), grown);
                String size = Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--size", d.uri("og")).requireOk().out().strip();
                assertEquals(String.valueOf((to - 1) * 32L * MIB), size, "a new connection sees the grown export");
                Cmd.Result verify = Cmd.run(Duration.ofMinutes(5), fio(d.uri("og"), "--verify_only")).requireOk();
                assertFalse(verify.out().contains("verify: bad"), verify.out());
                members1 = to;
            }
            Path out = dir.resolve("out.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("og"), out.toString()).requireOk();
            byte[] all = Files.readAllBytes(out);
            assertEquals(128 * MIB, all.length);
            assertArrayEquals(tail, Arrays.copyOfRange(all, 40 * MIB, 64 * MIB), "what was written before the grows");
            assertArrayEquals(new byte[64 * MIB], Arrays.copyOfRange(all, 64 * MIB, 128 * MIB), "the new space reads zeros");
            assertTrue(d.log().contains("grown to 5 members"), d.log());
            monitor.destroy();
            monitor.waitFor(30, TimeUnit.SECONDS);
            String events = Files.readString(monOut);
            // mdadm --monitor names a reshape's events as a rebuild's
            assertTrue(events.contains("RebuildStarted og") && events.contains("RebuildFinished og"), events);
            assertEquals(0, d.stop(), d.log());
        }
        List<Path> now = new ArrayList<>(members);
        now.addAll(spares);
        String check = Cmd.raid5(Members.pathArgs("check --offline", now)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        for (int i = 0; i < now.size(); i++) {
            String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", now.get(i).toString()).requireOk().out();
            assertTrue(examine.contains("Raid Devices : 5") && examine.contains("Device Role : Active device " + i)
                    && examine.contains("Array State : AAAAA") && !examine.contains("Reshape"), examine);
        }
    }

    /**
     * grow --size max: members with room past the used size (created with --size on bigger
     * devices, as after replacing disks by bigger ones) give it to the array while it serves; the
     * new size shows on a new connection and in mdadm --examine, the new rows are resynced, the
     * old bytes stay, and the members check clean.
     */
    @Test
    void sizeMaxGivesTheMembersRoomToTheArray(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "sz", 3);
        for (Path p : devices) {
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(40L * MIB);
            }
        }
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --chunk 64K --size 16M --name sz", devices)).requireOk();
        byte[] data = new byte[32 * MIB];
        new Random(67).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        long size;
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("sz", devices))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("sz")).requireOk();
            String out = d.raid5("grow", "sz", "--size", "max").requireOk().out();
            assertTrue(out.contains("sz is now "), out);
            size = Long.parseLong(Cmd.run(Duration.ofMinutes(1), "nbdinfo", "--size", d.uri("sz")).requireOk().out().strip());
            assertTrue(size > 64L * MIB && size % (128 << 10) == 0, "the members' room, whole rows: " + size);
            assertTrue(out.contains(String.valueOf(size)), out);
            d.awaitDetail("sz", s -> !s.contains("resync"), 120);
            Path back = dir.resolve("back.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("sz"), back.toString()).requireOk();
            byte[] got = Files.readAllBytes(back);
            assertEquals(size, got.length);
            assertArrayEquals(data, Arrays.copyOf(got, data.length), "the old bytes");
            String again = d.raid5("grow", "sz", "--size", "max").err();
            assertTrue(again.contains("replace the members with bigger ones"), again);
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", devices)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Array Size : " + size / 1024 + " KiB"), examine);
        // the kernel's md runs the resized array as it is: its size, its bytes, md's check 0
        byte[] whole = new byte[(int) size];
        System.arraycopy(data, 0, whole, 0, data.length);
        Path expected = dir.resolve("expected.bin");
        Files.write(expected, whole);
        Path results = KernelMd.run("md-grown.sh", dir.resolve("k"), devices);
        assertEquals(String.valueOf(size), Files.readString(results.resolve("md0.size")).strip());
        assertEquals(Members.sha256(expected), Files.readString(results.resolve("md0.sha256")).strip());
        assertEquals("0", Files.readString(results.resolve("mismatch_cnt")).strip());
    }

    /** Members without room before their data (no backup file is taken): the grow is refused with the reason, nothing changes. */
    @Test
    void aGrowWithoutRoomBeforeTheDataIsRefused(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "nr", 4);
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --spare-devices 1 --chunk 64K --data-offset 64K --size 8M"
                + " --name nr", devices)).requireOk();
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("nr", devices))) {
            String refused = d.raid5("grow", "nr", "--raid-devices", "4").err();
            assertTrue(refused.contains("no room to move the data down") && refused.contains("moves it down by 384 sectors"),
                    refused);
            String detail = d.raid5("detail", "nr").requireOk().out();
            assertTrue(detail.contains("Raid Devices : 3") && detail.contains("Spare Devices : 1")
                    && !detail.contains("reshaping"), detail);
            assertEquals(0, d.stop(), d.log());
        }
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(0).toString()).requireOk().out();
        assertTrue(examine.contains("Raid Devices : 3") && !examine.contains("Reshape"), examine);
    }

    /** kill -9 at random moments of an online grow; each restart resumes it; a write between kills survives too. */
    @Test
    void aGrowKilledAgainAndAgainResumesAtEachStart(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "ok", 3, "64K", "16M");
        Path spare = blank(dir, "ok-s.img", members.get(0));
        byte[] data = new byte[32 * MIB];
        new Random(59).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        List<Path> all = new ArrayList<>(members);
        all.add(spare);
        String[] options = {"--sync-speed-min", "1500", "--sync-speed-max", "1500"};
        try (DaemonProcess d = DaemonProcess.start(dir, concat(options, "--array", Members.arrayArg("ok", members)))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("ok")).requireOk();
            d.raid5("add", "ok", spare.toString()).requireOk();
            d.raid5("grow", "ok", "--raid-devices", "4").requireOk();
            Thread.sleep(1500);
            d.kill();
        }
        String mid = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", members.get(0).toString()).requireOk().out();
        assertTrue(mid.contains("Reshape pos'n") && mid.contains("Delta Devices : 1 (3->4)"), mid);
        // restarts come up as at boot: the members found by scanning DEVICE for the array's UUID
        Path conf = dir.resolve("raid5d.conf");
        Files.writeString(conf, "DEVICE " + dir.resolve("ok-*.img") + "\nARRAY ok UUID=" + ServiceConfig.uuidOf(spare) + "\n");
        Random random = new Random(13);
        int kills = 1;
        boolean finished = false;
        for (int round = 0; round < 6 && !finished; round++) {
            try (DaemonProcess d = DaemonProcess.start(dir, concat(options, "--config", conf.toString()))) {
                String detail = d.raid5("detail", "ok").requireOk().out();
                if (!detail.contains("reshaping")) {
                    finished = true;
                    break;
                }
                assertTrue(d.log().contains("resuming the grow from 3 to 4 members"), d.log());
                // a write while the grow runs, below and above where it is: it must survive the next kill
                byte[] patch = new byte[MIB];
                random.nextBytes(patch);
                int at = random.nextInt(31) * MIB;
                Path p = dir.resolve("patch.bin");
                Files.write(p, patch);
                Cmd.run(Duration.ofMinutes(1), "nbdcopy", "--flush", "--", p.toString(),
                        "[", "nbdkit", "--filter=offset", "nbd", "uri=" + d.uri("ok"), "offset=" + at,
                        "range=" + MIB, "]").requireOk();
                System.arraycopy(patch, 0, data, at, MIB);
                Thread.sleep(300 + random.nextInt(1500));
                d.kill();
                kills++;
            }
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ok", all))) {
            d.awaitDetail("ok", s -> !s.contains("reshaping") && !s.contains("resync"), 180);
            Path out = dir.resolve("out.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("ok"), out.toString()).requireOk();
            byte[] got = Files.readAllBytes(out);
            assertEquals(48 * MIB, got.length);
            assertArrayEquals(data, Arrays.copyOf(got, data.length), "every acknowledged byte, after " + kills + " kills");
            assertEquals(0, d.stop(), d.log());
        }
        System.out.printf("online grow killed %d times%n", kills);
        assertTrue(kills >= 3, "killed only " + kills + " times");
        String check = Cmd.raid5(Members.pathArgs("check --offline", all)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A blank device file as big as {@code like}. */
    private static Path blank(Path dir, String name, Path like) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(Files.size(like));
        }
        return p;
    }
}
