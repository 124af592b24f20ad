package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A degraded array made by the Linux kernel's md driver (fixtures/kernel-degraded, built by
 * tools/src/test/kguest/md-degraded.sh): role 1 was failed with mdadm, written around while
 * degraded, and the array stopped. Given all four members, raid5d assembles as mdadm and the
 * kernel do: the stale member (older events, recorded faulty by the others) is left out with
 * md's "possibly out of date" and "kicking non-fresh" messages and the clean array starts
 * degraded, serving exactly the bytes md served. A re-add then recovers only the bitmap chunks
 * written while the member was out, and the kernel's mdadm reads a clean, complete array.
 */
class KernelDegradedFixtureIT {
    static final Path FIXTURE = Cmd.HOME.resolve("tools/src/test/resources/fixtures/kernel-degraded");
    private static final Pattern FINISHED = Pattern.compile("recovery finished at sector (\\d+), counted (\\d+)");
    private static final Pattern EVENTS = Pattern.compile("Events : (\\d+)");
    private static final Pattern CHECKSUM_OK = Pattern.compile("Checksum : \\p{XDigit}+ - correct");

    @Test
    void staleMemberIsKickedAndTheArrayStartsDegradedThenReAddRecoversTheDirtyChunks(@TempDir Path dir)
            throws Exception {
        Properties p = properties();
        int count = Integer.parseInt(p.getProperty("members"));
        int failed = Integer.parseInt(p.getProperty("failed_member"));
        Cmd.run(Duration.ofMinutes(1), "tar", "-xJf", FIXTURE.resolve("members.tar.xz").toString(),
                "-C", dir.toString()).requireOk();
        List<Path> members = Members.paths(dir, "member", count);
        Path stale = members.get(failed);

        // The fixture as the kernel left it: role 1 older, the others recording it faulty/missing.
        long[] events = new long[count];
        for (int k = 0; k < count; k++) {
            String ex = mdadmExamine(members.get(k));
            assertTrue(CHECKSUM_OK.matcher(ex).find(), ex);
            events[k] = events(ex);
            assertEquals(Long.parseLong(p.getProperty("member" + k + ".events")), events[k], ex);
            if (k != failed) {
                assertTrue(ex.contains("Array State : A.AA"), ex);
                assertTrue(events[failed] < events[k], "member" + failed + " is not older:\n" + ex);
            }
        }

        long memberSectors = Long.parseLong(p.getProperty("member_size_bytes")) / 512
                - Long.parseLong(p.getProperty("data_offset_sectors"));
        long bitmapChunk = Long.parseLong(p.getProperty("bitmap_chunk_bytes"));
        TreeSet<Long> dirty = bits(p.getProperty("member0.bitmap_dirty"));
        Path copy = dir.resolve("array.bin");
        Path before = dir.resolve("member" + failed + ".before");
        Files.copy(stale, before);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("kdeg", members))) {
            // mdadm/md: the stale member is left out, the clean array starts degraded
            String log = d.log();
            assertTrue(log.lines().anyMatch(l -> l.contains("kicking non-fresh") && l.contains(stale.getFileName().toString())),
                    "no 'kicking non-fresh' line naming " + stale.getFileName() + ":\n" + log);
            assertTrue(log.contains("possibly out of date"), "no 'possibly out of date' line:\n" + log);
            String detail = d.raid5("detail", "kdeg").requireOk().out();
            assertTrue(detail.contains("degraded"), detail);
            assertTrue(detail.contains("Active Devices : " + (count - 1)), detail);
            String role = roleLine(detail, failed);
            assertTrue(role.contains("removed") || role.contains("out of date"), "role " + failed + ": " + role + "\n" + detail);
            assertFalse(detail.lines().anyMatch(l -> l.contains("active sync") && l.contains(stale.toString())), detail);

            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("kdeg"), copy.toString()).requireOk();
            assertEquals(Long.parseLong(p.getProperty("array_size_bytes")), Files.size(copy));
            assertEquals(p.getProperty("sha256_array"), Members.sha256(copy), "degraded array serves md's bytes");

            // re-add: only the chunks the kernel's bitmap marked dirty while degraded are recovered
            d.raid5("re-add", "kdeg", stale.toString()).requireOk();
            Matcher done = d.awaitLog(FINISHED, 120);
            long counted = Long.parseLong(done.group(2));
            System.out.printf("kernel-degraded re-add: %d of %d member sectors recovered, dirty bitmap chunks %s%n",
                    counted, memberSectors, dirty);
            assertTrue(counted > 0 && counted <= dirty.size() * (bitmapChunk / 512) && counted * 4 < memberSectors,
                    "recovered " + counted + " of " + memberSectors + " sectors for dirty chunks " + dirty + ":\n" + d.log());
            detail = awaitDetail(d, stale);
            assertFalse(detail.contains("degraded"), detail);
            Files.delete(copy);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("kdeg"), copy.toString()).requireOk();
            assertEquals(p.getProperty("sha256_array"), Members.sha256(copy), "array after re-add serves md's bytes");
            assertEquals(0, d.stop(), d.log());
        }
        long dataOffset = Long.parseLong(p.getProperty("data_offset_sectors")) * 512;
        assertEquals(dirty, changedChunks(before, stale, dataOffset, bitmapChunk, memberSectors * 512),
                "the re-added member changed exactly in the bitmap chunks written while it was out");

        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
        long[] after = new long[count];
        for (int k = 0; k < count; k++) {
            String ex = mdadmExamine(members.get(k));
            assertTrue(CHECKSUM_OK.matcher(ex).find(), ex);
            assertTrue(ex.contains("State : clean"), ex);
            assertTrue(ex.contains("Array State : AAAA"), ex);
            assertTrue(ex.contains("Device Role : Active device " + k), ex);
            after[k] = events(ex);
            assertTrue(after[k] > events[0], ex);
        }
        assertEquals(1, Arrays.stream(after).distinct().count(), "events after the stop: " + Arrays.toString(after));
    }

    static Properties properties() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(FIXTURE.resolve("fixture.properties"))) {
            p.load(in);
        }
        return p;
    }

    private static String mdadmExamine(Path member) throws IOException, InterruptedException {
        return Cmd.run(Duration.ofMinutes(1), "mdadm", "--examine", member.toString()).requireOk().out();
    }

    private static long events(String examine) {
        Matcher m = EVENTS.matcher(examine);
        assertTrue(m.find(), examine);
        return Long.parseLong(m.group(1));
    }

    /** The line of {@code detail}'s device table for raid device {@code role}. */
    private static String roleLine(String detail, int role) {
        Pattern line = Pattern.compile("^\\s*\\S+\\s+" + role + "\\s+(.*)$", Pattern.MULTILINE);
        Matcher m = line.matcher(detail.substring(Math.max(0, detail.indexOf("RaidDevice"))));
        assertTrue(m.find(), "no line for raid device " + role + ":\n" + detail);
        return m.group(1);
    }

    /** Polls {@code detail} until {@code member} is an active member again (bounded). */
    private static String awaitDetail(DaemonProcess d, Path member) throws Exception {
        String out = "";
        for (int i = 0; i < 300; i++) {
            out = d.raid5("detail", "kdeg").requireOk().out();
            if (out.lines().anyMatch(l -> l.contains("active sync") && l.contains(member.toString()))) {
                return out;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(member + " not active within 30 s after the recovery:\n" + out + "\n" + d.log());
    }

    /** "0,6,13" or "0-2,6" (mdref.py's ranges) as a set of bit numbers; "-" is none. */
    private static TreeSet<Long> bits(String ranges) {
        TreeSet<Long> out = new TreeSet<>();
        if (ranges == null || ranges.isBlank() || ranges.equals("-")) {
            return out;
        }
        for (String r : ranges.split(",")) {
            String[] ab = r.split("-");
            for (long b = Long.parseLong(ab[0]); b <= Long.parseLong(ab[ab.length - 1]); b++) {
                out.add(b);
            }
        }
        return out;
    }

    /** Bitmap chunks of the data area (from {@code dataOffset}) where the two files differ. */
    private static TreeSet<Long> changedChunks(Path a, Path b, long dataOffset, long chunk, long dataBytes)
            throws IOException {
        TreeSet<Long> chunks = new TreeSet<>();
        try (InputStream x = Files.newInputStream(a); InputStream y = Files.newInputStream(b)) {
            x.skipNBytes(dataOffset);
            y.skipNBytes(dataOffset);
            for (long c = 0; c * chunk < dataBytes; c++) {
                int n = (int) Math.min(chunk, dataBytes - c * chunk);
                if (!Arrays.equals(x.readNBytes(n), y.readNBytes(n))) {
                    chunks.add(c);
                }
            }
        }
        return chunks;
    }
}
