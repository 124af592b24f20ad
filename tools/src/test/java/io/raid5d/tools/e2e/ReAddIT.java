package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * md's re-add through the real processes: a member failed and removed comes back into its role,
 * and only the bitmap chunks written meanwhile are recovered. Proven from outside twice: the
 * daemon's recovery log counts only those chunks' sectors, and the member file differs from its
 * copy taken before the re-add only inside them.
 */
class ReAddIT {
    private static final long CHUNK = 64 << 10;
    private static final int DATA_MEMBERS = 3;
    private static final long BITMAP_CHUNK = 4 << 20;
    private static final long MEMBER_BYTES = 64L << 20;
    private static final Pattern FINISHED = Pattern.compile("recovery finished at sector (\\d+), counted (\\d+)");
    private static final Pattern DATA_OFFSET = Pattern.compile("Data Offset : (\\d+) sectors");
    /** Array byte ranges written while the member is out: 2 MiB of the 192 MiB array (~1%). */
    private static final long[][] WRITES = {{10L << 20, 1 << 20, 0xab}, {150L << 20, 1 << 20, 0xcd}};

    @Test
    void reAddRecoversOnlyTheChunksWrittenWhileTheMemberWasOut(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "ra", 4, "64K", "64M", "--bitmap-chunk", "4M");
        byte[] data = new byte[192 << 20];
        new Random(23).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ra", members))) {
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("ra")).requireOk();
            assertEquals(0, d.stop(), d.log()); // a clean stop clears every bit the fill set
        }
        String bitmap = Cmd.raid5("examine-bitmap", members.get(0).toString()).requireOk().out();
        assertTrue(bitmap.contains(" 0 dirty"), bitmap);

        Path member = members.get(1);
        Path before = dir.resolve("m1.before");
        Path out = dir.resolve("out.bin");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("ra", members))) {
            d.raid5("fail", "ra", member.toString()).requireOk();
            d.raid5("remove", "ra", member.toString()).requireOk();
            Files.copy(member, before);
            for (long[] w : WRITES) {
                Cmd.run(Duration.ofMinutes(1), "qemu-io", "-f", "raw", d.uri("ra"), "-c",
                        "write -P " + w[2] + " " + w[0] + " " + w[1], "-c", "flush").requireOk();
                Arrays.fill(data, (int) w[0], (int) (w[0] + w[1]), (byte) w[2]);
            }
            d.raid5("re-add", "ra", member.toString()).requireOk();
            Matcher done = d.awaitLog(FINISHED, 60);
            long counted = Long.parseLong(done.group(2));
            TreeSet<Long> dirty = dirtyChunks();
            System.out.printf("re-add: %d of %d member sectors recovered, dirty bitmap chunks %s%n",
                    counted, MEMBER_BYTES / 512, dirty);
            assertTrue(counted > 0 && counted <= dirty.size() * (BITMAP_CHUNK / 512),
                    "recovered " + counted + " sectors for dirty chunks " + dirty + ":\n" + d.log());
            String detail = d.raid5("detail", "ra").requireOk().out();
            assertTrue(!detail.contains("degraded") && detail.contains("active sync"), detail);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", d.uri("ra"), out.toString()).requireOk();
            assertEquals(0, d.stop(), d.log());
        }
        String examine = Cmd.raid5("examine", member.toString()).requireOk().out();
        Matcher m = DATA_OFFSET.matcher(examine);
        assertTrue(m.find(), examine);
        long dataOffset = Long.parseLong(m.group(1)) * 512;
        TreeSet<Long> changed = changedChunks(before, member, dataOffset);
        assertEquals(dirtyChunks(), changed, "the member changed exactly in the chunks written while it was out");

        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(out), data.length), "data reads back after re-add");
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Bitmap chunks of member data covered by the stripe rows the writes touched (left-symmetric, 3 data members). */
    private static TreeSet<Long> dirtyChunks() {
        TreeSet<Long> chunks = new TreeSet<>();
        long rowBytes = CHUNK * DATA_MEMBERS;
        for (long[] w : WRITES) {
            long firstRow = w[0] / rowBytes;
            long lastRow = (w[0] + w[1] - 1) / rowBytes;
            for (long c = firstRow * CHUNK / BITMAP_CHUNK; c <= ((lastRow + 1) * CHUNK - 1) / BITMAP_CHUNK; c++) {
                chunks.add(c);
            }
        }
        return chunks;
    }

    /** Bitmap chunks of the data area (from {@code dataOffset}) where the two files differ. */
    private static TreeSet<Long> changedChunks(Path a, Path b, long dataOffset) throws IOException {
        TreeSet<Long> chunks = new TreeSet<>();
        try (InputStream x = Files.newInputStream(a); InputStream y = Files.newInputStream(b)) {
            x.skipNBytes(dataOffset);
            y.skipNBytes(dataOffset);
            for (long c = 0; c < MEMBER_BYTES / BITMAP_CHUNK; c++) {
                if (!Arrays.equals(x.readNBytes((int) BITMAP_CHUNK), y.readNBytes((int) BITMAP_CHUNK))) {
                    chunks.add(c);
                }
            }
        }
        return chunks;
    }
}
