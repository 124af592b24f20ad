package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network RAID-5: four member hosts (network namespaces, each running nbdkit over its own veth
 * link) and raid5d here assembling their exports by nbd:// URI. A host's server killed, or its
 * link cut, in the middle of fio's verified writes: the member is failed within the member
 * timeout, fio sees no error and its verify passes; when the host answers again the member is
 * re-added by itself through the bitmap, copying only the chunks written meanwhile; the parity
 * checks out.
 */
class RemoteMembersIT {
    private static final long MEMBER_BYTES = 64L << 20;
    private static final Pattern RECOVERED = Pattern.compile("recovery finished at sector (\\d+), counted (\\d+)");
    private static final Pattern RE_ADDED = Pattern.compile("remote member (\\S+) answers again: re-added through the bitmap");

    @Test
    void aKilledMemberServerAndACutLinkAreSurvivedAndHealedThroughTheBitmap(@TempDir Path dir) throws Exception {
        try (MemberHosts hosts = MemberHosts.start(dir, 4, MEMBER_BYTES)) {
            List<String> create = new ArrayList<>(List.of("create", "--raid-devices", "4", "--chunk", "64K", "--bitmap-chunk", "1M",
                    "--name", "net"));
            create.addAll(hosts.uris());
            Cmd.raid5(create.toArray(String[]::new)).requireOk();
            // the superblocks are on the hosts' files: raid5 reads them over the network, mdadm from the file
            String examine = Cmd.raid5("examine", hosts.uri(2)).requireOk().out();
            assertTrue(examine.contains("Raid Devices : 4") && examine.contains("Name : net"), examine);
            String mdadm = Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", hosts.file(2).toString()).requireOk().out();
            assertTrue(mdadm.contains("Active device 2"), mdadm);

            byte[] base = new byte[32 << 20];
            new Random(5).nextBytes(base);
            Path in = dir.resolve("base.bin");
            Files.write(in, base);
            try (DaemonProcess d = DaemonProcess.start(dir, "--member-timeout", "3", "--array", "net=" + String.join(",", hosts.uris()))) {
                d.awaitLog(Pattern.compile("resync finished"), 120);
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("net")).requireOk();
                awaitBitmapClean(hosts.uri(0)); // so what is dirty later is what was written later

                // 1. host 1's server dies in the middle of verified writes
                Process fio = fio(dir, d, "killed");
                Thread.sleep(1500);
                hosts.killServer(1);
                d.awaitLog(Pattern.compile("member " + Pattern.quote(hosts.uri(1)) + " is faulty"), 30);
                assertFioOk(fio, dir.resolve("fio-killed.log"));
                writeWhileAway(d); // fio may have been past its writes when the server died
                hosts.startServer(1);
                Matcher readded = d.awaitLog(RE_ADDED, 60);
                assertEquals(hosts.uri(1), readded.group(1));
                long counted = recoveredAfter(d, 0);
                System.out.printf("remote member re-added after its server was killed: %d of %d member sectors copied%n",
                        counted, MEMBER_BYTES / 512);
                assertTrue(counted > 0 && counted < MEMBER_BYTES / 512 / 2, "copied " + counted + " sectors:\n" + d.log());
                awaitBitmapClean(hosts.uri(0));

                // 2. host 3's link goes down: requests hang, so the member timeout is what fails it
                Process fio2 = fio(dir, d, "cut");
                Thread.sleep(1500);
                long cut = System.nanoTime();
                hosts.link(3, false);
                d.awaitLog(Pattern.compile("member " + Pattern.quote(hosts.uri(3)) + " is faulty \\(.*(no reply|not answered)"), 30);
                long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
                System.out.printf("remote member failed %d ms after its link went down (member timeout 3 s)%n", failedAfterMs);
                assertTrue(failedAfterMs < 15_000, "failed after " + failedAfterMs + " ms");
                assertFioOk(fio2, dir.resolve("fio-cut.log"));
                writeWhileAway(d);
                hosts.link(3, true);
                Pattern back = Pattern.compile("remote member " + Pattern.quote(hosts.uri(3)) + " answers again: re-added");
                for (int i = 0; i < 90 && !back.matcher(d.log()).find(); i++) {
                    hosts.ensureServing(3); // the host is back: its link, and its NBD service (restarted if it died)
                    Thread.sleep(1000);
                }
                d.awaitLog(back, 5);
                long counted2 = recoveredAfter(d, 1);
                System.out.printf("remote member re-added after its link came back: %d of %d member sectors copied%n",
                        counted2, MEMBER_BYTES / 512);
                assertTrue(counted2 > 0 && counted2 < MEMBER_BYTES / 512 / 2, "copied " + counted2 + " sectors:\n" + d.log());

                Path out = dir.resolve("base.out");
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("net"), out.toString()).requireOk();
                assertEquals(Members.sha256(in), sha256Prefix(dir, out, base.length), "the data written before the failures");
                String detail = d.raid5("detail", "net").requireOk().out();
                assertTrue(!detail.contains("faulty") && !detail.contains("degraded"), detail);
                assertEquals(0, d.stop(), d.log());
            }
            List<String> check = new ArrayList<>(List.of("check", "--offline"));
            check.addAll(hosts.uris());
            String checked = Cmd.raid5(check.toArray(String[]::new)).requireOk().out();
            assertTrue(checked.contains(" 0 mismatched sectors"), checked);
        }
    }

    /**
     * The array host reboots while a member host is down: raid5d starts from its config
     * (ARRAY devices= four nbd:// URIs), waits MEMBER_WAIT, starts degraded without the host, and
     * serves writes. The host comes back with a disk that shrank: not taken back, said with the
     * reason, nothing written. It comes back with its own disk: re-added by itself, only the chunks
     * written meanwhile copied, every byte right.
     */
    @Test
    void anArrayHostRebootingWithAMemberHostDownComesUpDegradedAndHeals(@TempDir Path dir) throws Exception {
        try (MemberHosts hosts = MemberHosts.start(dir, 4, MEMBER_BYTES)) {
            List<String> create = new ArrayList<>(List.of("create", "--raid-devices", "4", "--chunk", "64K", "--bitmap-chunk", "1M",
                    "--assume-clean", "--name", "boot"));
            create.addAll(hosts.uris());
            Cmd.raid5(create.toArray(String[]::new)).requireOk();
            Path conf = ServiceConfig.write(dir, "MEMBER_WAIT 2", "ARRAY boot devices=" + String.join(",", hosts.uris()));
            byte[] data = new byte[24 << 20];
            new Random(17).nextBytes(data);
            Path in = dir.resolve("boot.bin");
            Files.write(in, data);
            try (DaemonProcess d = ServiceConfig.start(dir, conf, java.util.Map.of())) {
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("boot")).requireOk();
                assertEquals(0, d.stop(), d.log());
            }
            hosts.killServer(2);
            try (DaemonProcess d = ServiceConfig.start(dir, conf, java.util.Map.of())) {
                d.awaitLog(Pattern.compile("only 3 of its 4 members are there after 2 s"), 30);
                String detail = d.raid5("detail", "boot").requireOk().out();
                assertTrue(detail.contains("degraded") || detail.contains("removed") || detail.contains("missing"), detail);
                Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", d.uri("boot"), "-c", "write -P 0x5e 4M 2M", "-c", "flush")
                        .requireOk();
                java.util.Arrays.fill(data, 4 << 20, 6 << 20, (byte) 0x5e);
                d.awaitLog(Pattern.compile("remote member " + Pattern.quote(hosts.uri(2)) + " is still away"), 30);

                // back with a disk that shrank: refused, nothing written to it
                Path saved = dir.resolve("host2.saved");
                Files.copy(hosts.file(2), saved);
                try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hosts.file(2).toFile(), "rw")) {
                    f.setLength(16L << 20);
                }
                hosts.startServer(2);
                d.awaitLog(Pattern.compile("remote member " + Pattern.quote(hosts.uri(2)) + " answers but is not taken back: .*truncated device"), 90);
                hosts.killServer(2);
                Files.copy(saved, hosts.file(2), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

                // back with its own disk: re-added through the bitmap
                hosts.startServer(2);
                d.awaitLog(Pattern.compile("remote member " + Pattern.quote(hosts.uri(2)) + " answers again: re-added"), 90);
                long counted = recoveredAfter(d, 0);
                System.out.printf("member host back after the array host's reboot: %d of %d member sectors copied%n",
                        counted, MEMBER_BYTES / 512);
                assertTrue(counted > 0 && counted <= 4 * 2048, "copied " + counted + " sectors:\n" + d.log());
                Path out = dir.resolve("boot.out");
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("boot"), out.toString()).requireOk();
                assertEquals(sha256Of(dir, data), sha256Prefix(dir, out, data.length));
                assertEquals(0, d.stop(), d.log());
            }
            List<String> check = new ArrayList<>(List.of("check", "--offline"));
            check.addAll(hosts.uris());
            String checked = Cmd.raid5(check.toArray(String[]::new)).requireOk().out();
            assertTrue(checked.contains(" 0 mismatched sectors"), checked);
        }
    }

    private static String sha256Of(Path dir, byte[] data) throws Exception {
        Path f = dir.resolve("expected.bin");
        Files.write(f, data);
        return Members.sha256(f);
    }

    /**
     * Mutual TLS on both sides: the members are nbds:// exports of nbdkit --tls=require
     * --tls-verify-peer (raid5d shows its client certificate and checks theirs against the CA),
     * and raid5d serves the array with --tls-verify-peer; a member server whose certificate the
     * CA did not sign is refused by name. The admin's fail, remove and re-add by URI, with the
     * remote-member watch keeping its hands off a member the admin pulled.
     */
    @Test
    void membersOverMutualTlsAndAnArrayServedOverMutualTls(@TempDir Path dir) throws Exception {
        Path pki = io.raid5d.nbd.testing.TestPki.create(dir.resolve("pki")).dir;
        List<Process> servers = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Path file = dir.resolve("tls" + i + ".img");
                try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(32L << 20);
                }
                int port = freePort();
                servers.add(new ProcessBuilder("nbdkit", "-f", "--exit-with-parent", "-i", "127.0.0.1", "-p", String.valueOf(port),
                        "--tls=require", "--tls-certificates=" + pki, "--tls-verify-peer", "file", file.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("tls-nbdkit" + i + ".log").toFile()).start());
                uris.add("nbds://127.0.0.1:" + port + "/?tls-certificates=" + pki);
            }
            for (String u : uris) {
                awaitAnswer(u.substring(0, u.indexOf('?')) + "?tls-certificates=" + pki);
            }
            List<String> create = new ArrayList<>(List.of("create", "--raid-devices", "3", "--chunk", "64K", "--name", "sec"));
            create.addAll(uris);
            Cmd.raid5(create.toArray(String[]::new)).requireOk();
            Cmd.Result plain = Cmd.raid5("examine", uris.get(0).replace("nbds://", "nbd://").replaceFirst("\\?.*", ""));
            assertTrue(plain.exit() != 0 && (plain.out() + plain.err()).contains("TLS required"), plain.out() + plain.err());
            byte[] data = new byte[8 << 20];
            new Random(9).nextBytes(data);
            Path in = dir.resolve("tls-in.bin");
            Files.write(in, data);
            try (DaemonProcess d = DaemonProcess.start(dir, "--tls-cert", pki.resolve("server-cert.pem").toString(),
                    "--tls-key", pki.resolve("server-key.pem").toString(), "--tls-verify-peer", pki.resolve("ca-cert.pem").toString(),
                    "--array", "sec=" + String.join(",", uris))) {
                String export = "nbds://127.0.0.1:" + d.port() + "/sec?tls-certificates=" + pki;
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), export).requireOk();
                Path out = dir.resolve("tls-out.bin");
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", export, out.toString()).requireOk();
                assertEquals(Members.sha256(in), sha256Prefix(dir, out, data.length));
                assertTrue(Cmd.run(Duration.ofMinutes(1), "nbdinfo", d.uri("sec")).exit() != 0, "plaintext client refused");
                // the admin's verbs by URI; a member the admin pulled is not put back by the watch behind the admin's back
                d.raid5("fail", "sec", uris.get(1)).requireOk();
                Thread.sleep(3000);
                assertTrue(d.raid5("detail", "sec").requireOk().out().contains("faulty"), "still faulty: the admin failed it");
                d.raid5("remove", "sec", uris.get(1)).requireOk();
                Thread.sleep(3000);
                String removed = d.raid5("detail", "sec").requireOk().out();
                assertTrue(!removed.contains("127.0.0.1:" + uris.get(1).split(":")[2].split("/")[0] + "/"), removed);
                d.raid5("re-add", "sec", uris.get(1)).requireOk();
                d.awaitLog(Pattern.compile("recovery finished"), 60);
                assertTrue(!d.log().contains("answers again: re-added"), "the watch did not act:\n" + d.log());
                Cmd.run(Duration.ofMinutes(2), "nbdcopy", export, out.toString()).requireOk();
                assertEquals(Members.sha256(in), sha256Prefix(dir, out, data.length));
                assertEquals(0, d.stop(), d.log());
            }
            // a member server with a certificate from another CA: refused before any byte of the array moves
            Path other = io.raid5d.nbd.testing.TestPki.create(dir.resolve("other")).dir;
            Path mixed = Files.createDirectories(dir.resolve("mixed"));
            for (String f : new String[] {"client-cert.pem", "client-key.pem"}) {
                Files.copy(pki.resolve(f), mixed.resolve(f));
            }
            Files.copy(other.resolve("ca-cert.pem"), mixed.resolve("ca-cert.pem"));
            Cmd.Result untrusted = Cmd.raid5("examine", uris.get(0).replaceFirst("tls-certificates=.*", "tls-certificates=" + mixed));
            assertTrue(untrusted.exit() != 0 && (untrusted.out() + untrusted.err()).contains("TLS handshake with"),
                    untrusted.out() + untrusted.err());
        } finally {
            for (Process p : servers) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitAnswer(String uri) throws Exception {
        for (int tries = 0; tries < 100; tries++) {
            if (Cmd.run(Duration.ofSeconds(10), "nbdinfo", "--size", uri).exit() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(uri + " does not answer");
    }

    /** fio's verified random writes through raid5d, bounded: 48 MiB after the first 32, then read back and checked. */
    private static Process fio(Path dir, DaemonProcess d, String name) throws Exception {
        return new ProcessBuilder("fio", "--name=" + name, "--ioengine=nbd", "--uri=" + d.uri("net"), "--rw=randwrite",
                "--bs=64k", "--iodepth=8", "--offset=32M", "--size=48M", "--verify=crc32c", "--verify_fatal=1",
                "--randrepeat=0", "--verify_state_save=0", "--output=" + dir.resolve("fio-" + name + ".log"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("fio-" + name + ".out").toFile()).start();
    }

    /**
     * A write while the member is away, so its re-add has chunks to copy whatever fio was doing
     * when the member went (the cut may land after fio's writes, in its verify reads).
     */
    private static void writeWhileAway(DaemonProcess d) throws Exception {
        Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", d.uri("net"), "-c", "write -P 0x6b 40M 1M", "-c", "flush")
                .requireOk();
    }

    private static void assertFioOk(Process fio, Path log) throws Exception {
        assertTrue(fio.waitFor(3, TimeUnit.MINUTES), "fio did not end");
        String out = Files.exists(log) ? Files.readString(log) : "";
        assertEquals(0, fio.exitValue(), out);
        assertTrue(out.contains("err= 0"), out);
    }

    /** Waits (bounded) until the bitmap on a member, read over the network, has no dirty chunk: the bitmap daemon cleared them. */
    private static void awaitBitmapClean(String member) throws Exception {
        String last = "";
        for (int tries = 0; tries < 60; tries++) {
            last = Cmd.raid5("examine-bitmap", member).requireOk().out();
            if (last.contains(" 0 dirty")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the bitmap stays dirty:\n" + last);
    }

    /** The sectors counted by the {@code n}th recovery the log reports. */
    private static long recoveredAfter(DaemonProcess d, int n) throws InterruptedException {
        for (int tries = 0; tries < 600; tries++) {
            Matcher m = RECOVERED.matcher(d.log());
            int seen = 0;
            while (m.find()) {
                if (seen++ == n) {
                    return Long.parseLong(m.group(2));
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no recovery #" + n + " finished:\n" + d.log());
    }

    private static String sha256Prefix(Path dir, Path file, int length) throws Exception {
        Path f = dir.resolve("prefix.bin");
        try (var in = Files.newInputStream(file)) {
            Files.write(f, in.readNBytes(length));
        }
        return Members.sha256(f);
    }
}
