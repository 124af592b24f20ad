package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * raid5 monitor --program against a running daemon: raid5 assemble --scan (found by
 * superblocks from the config) assembles an array that needs a resync; the monitor prints
 * Assembled, ResyncStarted, Resync20..80, ResyncFinished, then Stopped, runs the program for
 * each, and ends with status 0 when the daemon stops.
 */
class MonitorIT {

    @Test
    void monitorSeesAssemblyResyncAndStopAndRunsTheProgram(@TempDir Path dir) throws Exception {
        // Members that exist before create are not known to be zero: the array starts dirty.
        List<Path> members = Members.paths(dir, "mon-m", 3);
        for (Path m : members) {
            try (RandomAccessFile f = new RandomAccessFile(m.toFile(), "rw")) {
                f.setLength(40L << 20);
            }
        }
        List<String> create = new ArrayList<>(List.of("create", "--raid-devices", "3", "--chunk", "64K", "--size", "32M",
                "--name", "mon"));
        members.forEach(m -> create.add(m.toString()));
        Cmd.raid5(create.toArray(new String[0])).requireOk();
        String uuid = ServiceConfig.uuidOf(members.get(0));
        Path conf = ServiceConfig.write(dir, "DEVICE " + dir + "/mon-m*.img",
                "ARRAY mon UUID=" + uuid);

        Path events = dir.resolve("events.txt");
        Path program = dir.resolve("on-event.sh");
        Files.writeString(program, "#!/bin/sh\necho \"$@\" >> " + events + "\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));

        // The daemon starts with no arrays (no --config), so the scan below does the assembly.
        try (DaemonProcess d = DaemonProcess.startWith(dir, ServiceConfig.controlSocket(dir), java.util.Map.of(),
                List.of("--listen", "127.0.0.1:0", "--control", ServiceConfig.controlSocket(dir).toString()))) {
            Path monOut = dir.resolve("monitor.out");
            Path monErr = dir.resolve("monitor.err");
            Process monitor = new ProcessBuilder(Cmd.bin("raid5").toString(), "--control", d.controlSocket().toString(),
                    "monitor", "--program", program.toString())
                    .redirectOutput(monOut.toFile()).redirectError(monErr.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            try {
                awaitContent(monErr, "raid5: monitoring raid5d at " + d.controlSocket(), monitor);

                String dry = d.raid5("assemble", "--scan", "--config", conf.toString(), "--dry-run").requireOk().out();
                assertTrue(dry.startsWith("ARRAY mon UUID=" + uuid + " name=mon raid-devices=3 devices=" + members.get(0) + ","), dry);
                assertTrue(d.raid5("status").requireOk().out().contains("no arrays running"), "dry run assembles nothing");

                String scan = d.raid5("assemble", "--scan", "--config", conf.toString()).requireOk().out();
                assertTrue(scan.contains("assembled mon: "), scan);
                awaitContent(monOut, "ResyncFinished mon", monitor);
                String again = d.raid5("assemble", "--scan", "--config", conf.toString()).requireOk().out();
                assertTrue(again.contains("mon: already running"), again);

                d.raid5("stop", "mon").requireOk();
                awaitContent(monOut, "Stopped mon", monitor);
                assertEquals(0, d.stop(), d.log());
                assertTrue(monitor.waitFor(60, TimeUnit.SECONDS), "monitor ends when the daemon stops");
                assertEquals(0, monitor.exitValue(), Files.readString(monErr));
            } finally {
                monitor.destroyForcibly().waitFor();
            }
            List<String> want = List.of("Assembled mon", "ResyncStarted mon", "Resync20 mon", "Resync40 mon",
                    "Resync60 mon", "Resync80 mon", "ResyncFinished mon", "Stopped mon");
            assertEquals(want, Files.readAllLines(monOut));
            assertEquals(want, Files.readAllLines(events), "the program ran once per event, in order");
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    @Test
    void scanReportsAConfiguredArrayItCannotFind(@TempDir Path dir) throws Exception {
        Members.create(dir, "here", 3, "64K", "8M");
        Path conf = ServiceConfig.write(dir, "DEVICE " + dir + "/*.img",
                "ARRAY here", "ARRAY gone UUID=01234567:89abcdef:01234567:89abcdef");
        Cmd.Result r = Cmd.raid5("--config", conf.toString(), "assemble", "--scan", "--dry-run");
        assertNotEquals(0, r.exit());
        assertTrue(r.out().startsWith("ARRAY here UUID="), r.out());
        assertTrue(r.err().contains("raid5: gone: no member with UUID 01234567:89abcdef:01234567:89abcdef among 3 devices"), r.err());
        assertTrue(r.err().contains("not assembled: gone"), r.err());
    }

    private static void awaitContent(Path file, String text, Process p) throws Exception {
        for (int i = 0; i < 1200; i++) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("'" + text + "' not seen in " + file + ":\n" + (Files.exists(file) ? Files.readString(file) : ""));
    }
}
