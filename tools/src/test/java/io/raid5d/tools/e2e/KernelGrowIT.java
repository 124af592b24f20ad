package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grow in md's reshape format, between raid5d and the kernel's md: an array of 3 members and a
 * spare, grown to 4 by {@code raid5 grow --offline}, is assembled by the kernel (kguest VM) with
 * the bytes raid5d wrote, 0 mismatches in md's check and the grown size; a grow killed midway
 * is shown as md shows it, then finished by the kernel's md (which resumes it from the
 * recorded position) and, on another copy, by raid5d itself; raid5d serves every result with
 * the same bytes.
 */
class KernelGrowIT {
    @Test
    void growsAreCarriedBetweenRaid5dAndTheKernel(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "kg", 4);
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --spare-devices 1 --chunk 64K --size 16M --bitmap-chunk 1M --name kgrow",
                devices)).requireOk();
        byte[] data = new byte[32 << 20];
        new Random(43).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", arrayArg(devices))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("kgrow")).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        String sha = grownSha(dir, data);

        // 1. raid5d grows it whole; the kernel assembles the result
        List<Path> whole = copy(devices, dir.resolve("whole"));
        String out = Cmd.raid5(withDevices("grow --offline --raid-devices 4", whole)).requireOk().out();
        assertTrue(out.contains("grown from 3 to 4 members"), out);
        String examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", whole.get(3).toString()).requireOk().out();
        assertTrue(examine.contains("Raid Devices : 4") && examine.contains("Device Role : Active device 3")
                && !examine.contains("Reshape"), examine);
        Path results = kernel(dir.resolve("k-whole"), whole);
        assertEquals("no", read(results, "reshaped"));
        assertEquals(String.valueOf(48 << 20), read(results, "md0.size"));
        assertEquals(sha, read(results, "md0.sha256"), "the kernel reads the grown array raid5d wrote");
        assertEquals("0", read(results, "mismatch_cnt"));
        served(dir, whole, sha);

        // 2. a grow killed midway: md shows it mid-reshape, the kernel finishes it
        List<Path> half = copy(devices, dir.resolve("half"));
        interruptedGrow(half);
        String mid = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", half.get(0).toString()).requireOk().out();
        assertTrue(mid.contains("Reshape pos'n") && mid.contains("Delta Devices : 1 (3->4)"), mid);
        assertEquals(mid.replaceFirst("(?s).*?(Reshape pos'n : \\d+).*", "$1"),
                Cmd.raid5("examine", half.get(0).toString()).requireOk().out().replaceFirst("(?s).*?(Reshape pos'n : \\d+).*", "$1"));
        List<Path> halfForRaid5d = copy(half, dir.resolve("half-raid5d"));
        Path resumed = kernel(dir.resolve("k-half"), half);
        assertEquals("yes", read(resumed, "reshaped"), "the kernel resumed the grow raid5d was stopped in");
        assertEquals(String.valueOf(48 << 20), read(resumed, "md0.size"));
        assertEquals(sha, read(resumed, "md0.sha256"));
        assertEquals("0", read(resumed, "mismatch_cnt"));
        served(dir, half, sha);

        // 3. the same interrupted grow, finished by raid5d instead
        String again = Cmd.raid5(withDevices("grow --offline --raid-devices 4", halfForRaid5d)).requireOk().out();
        assertTrue(again.contains("grow resumed and finished from 3 to 4 members"), again);
        served(dir, halfForRaid5d, sha);
    }

    /**
     * The online grow and the kernel: raid5d grows a running array while nbdcopy writes to it
     * and is stopped (SIGTERM) midway; the members say where (mdadm --examine), and the kernel's
     * md resumes and finishes the grow with the bytes raid5d was given; the same members, grown
     * by raid5d to the end, are assembled by the kernel as they are.
     */
    @Test
    void anOnlineGrowStoppedMidwayIsFinishedByTheKernel(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "ko", 4);
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --chunk 64K --size 16M --bitmap-chunk 1M --name kgrow",
                devices.subList(0, 3))).requireOk();
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(devices.get(3).toFile(), "rw")) {
            f.setLength(Files.size(devices.get(0)));
        }
        byte[] data = new byte[32 << 20];
        new Random(61).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--sync-speed-min", "2000", "--sync-speed-max", "2000",
                "--array", "kgrow=" + String.join(",", devices.subList(0, 3).stream().map(Path::toString).toList()))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("kgrow")).requireOk();
            d.raid5("add", "kgrow", devices.get(3).toString()).requireOk();
            d.raid5("grow", "kgrow", "--raid-devices", "4").requireOk();
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("kgrow")).requireOk(); // through the grow
            Thread.sleep(1500);
            assertTrue(d.raid5("detail", "kgrow").requireOk().out().contains("reshaping"), "stopped midway");
            assertEquals(0, d.stop(), d.log());
        }
        String mid = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(3).toString()).requireOk().out();
        assertTrue(mid.matches("(?s).*Reshape pos'n : [1-9].*") && mid.contains("Delta Devices : 1 (3->4)")
                && mid.contains("Device Role : Active device 3") && mid.contains("State : clean"), mid);
        String sha = grownSha(dir, data);
        List<Path> forRaid5d = copy(devices, dir.resolve("raid5d"));

        Path resumed = kernel(dir.resolve("k-online"), devices);
        assertEquals("yes", read(resumed, "reshaped"), "the kernel resumed the grow raid5d stopped");
        assertEquals(String.valueOf(48 << 20), read(resumed, "md0.size"));
        assertEquals(sha, read(resumed, "md0.sha256"));
        assertEquals("0", read(resumed, "mismatch_cnt"));

        // raid5d resumes its own at assembly and finishes it; the kernel takes the result as it is
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", arrayArg(forRaid5d))) {
            for (int i = 0; i < 600 && d.raid5("detail", "kgrow").requireOk().out().contains("reshaping"); i++) {
                Thread.sleep(100);
            }
            assertEquals(0, d.stop(), d.log());
        }
        served(dir, forRaid5d, sha);
        Path whole = kernel(dir.resolve("k-whole"), forRaid5d);
        assertEquals("no", read(whole, "reshaped"));
        assertEquals(sha, read(whole, "md0.sha256"));
        assertEquals("0", read(whole, "mismatch_cnt"));
    }

    /** kill -9 at random moments of a grow, again and again; every restart resumes, and the data verifies. */
    @Test
    void aGrowKilledAgainAndAgainResumesEachTime(@TempDir Path dir) throws Exception {
        List<Path> devices = Members.paths(dir, "kk", 4);
        Cmd.raid5(Members.pathArgs("create --raid-devices 3 --spare-devices 1 --chunk 64K --size 16M --name kgrow", devices))
                .requireOk();
        byte[] data = new byte[32 << 20];
        new Random(47).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", arrayArg(devices))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("kgrow")).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        Random random = new Random(11);
        List<String> command = new ArrayList<>(List.of(Cmd.bin("raid5").toString(), "grow", "--offline", "--raid-devices", "4",
                "--speed-max", "2048"));
        devices.forEach(p -> command.add(p.toString()));
        int kills = 0;
        for (int round = 0; round < 6; round++) {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (p.waitFor(800 + random.nextInt(1500), TimeUnit.MILLISECONDS)) {
                break; // it finished before this kill
            }
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            kills++;
        }
        String last = Cmd.raid5(withDevices("grow --offline --raid-devices 4", devices)).out();
        System.out.printf("grow killed %d times, then: %s%n", kills, last.strip());
        assertTrue(kills >= 3, "the grow was killed only " + kills + " times");
        served(dir, devices, grownSha(dir, data));
    }

    /** Starts a slow grow (1 MiB/s per member) and kills it (SIGKILL) in the middle. */
    private static void interruptedGrow(List<Path> devices) throws Exception {
        List<String> command = new ArrayList<>(List.of(Cmd.bin("raid5").toString(), "grow", "--offline", "--raid-devices", "4",
                "--speed-max", "1024"));
        devices.forEach(p -> command.add(p.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String examine = "";
        for (int i = 0; i < 300; i++) { // until a position past the start is recorded
            Thread.sleep(100);
            // mdadm takes no lock (raid5 examine would find the member held by the grow)
            examine = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", devices.get(0).toString()).out();
            if (examine.matches("(?s).*Reshape pos'n : [1-9].*")) {
                break;
            }
        }
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(examine.matches("(?s).*Reshape pos'n : [1-9].*"), "the grow recorded no progress:\n" + examine);
    }

    /** The sha256 of the grown array: the old bytes, then zeros, 48 MiB. */
    private static String grownSha(Path dir, byte[] data) throws Exception {
        Path expected = dir.resolve("expected.bin");
        byte[] grown = new byte[48 << 20];
        System.arraycopy(data, 0, grown, 0, data.length);
        Files.write(expected, grown);
        return Members.sha256(expected);
    }

    private static Path kernel(Path work, List<Path> devices) throws Exception {
        return KernelMd.run("md-grown.sh", work, devices);
    }

    /** raid5d assembles the four members and serves the expected bytes. */
    private static void served(Path dir, List<Path> devices, String sha) throws Exception {
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", arrayArg(devices))) {
            String detail = d.raid5("detail", "kgrow").requireOk().out();
            assertTrue(detail.contains("Raid Devices : 4") && !detail.contains("degraded"), detail);
            Path out = dir.resolve("served.bin");
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("kgrow"), out.toString()).requireOk();
            assertEquals(sha, Members.sha256(out));
            assertEquals(0, d.stop(), d.log());
        }
        String check = Cmd.raid5(withDevices("check --offline", devices)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    private static List<Path> copy(List<Path> devices, Path to) throws Exception {
        Files.createDirectories(to);
        List<Path> out = new ArrayList<>();
        for (Path p : devices) {
            Path c = to.resolve(p.getFileName());
            Files.copy(p, c, StandardCopyOption.REPLACE_EXISTING);
            out.add(c);
        }
        return out;
    }

    private static String[] withDevices(String first, List<Path> devices) {
        return Members.pathArgs(first, devices);
    }

    private static String arrayArg(List<Path> devices) {
        return "kgrow=" + String.join(",", devices.stream().map(Path::toString).toList());
    }

    private static String read(Path results, String name) throws Exception {
        return Files.readString(results.resolve(name)).strip();
    }
}
