package io.raid5d.daemon.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevicePatternsTest {

    @Test
    void expandsGlobsInAnyComponentSortedAndOncePerDevice(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("d1"));
        Files.createDirectories(dir.resolve("d2"));
        Path a = Files.createFile(dir.resolve("d1/m0.img"));
        Path b = Files.createFile(dir.resolve("d1/m1.img"));
        Path c = Files.createFile(dir.resolve("d2/m2.img"));
        Files.createFile(dir.resolve("d2/other.txt"));
        Path link = Files.createSymbolicLink(dir.resolve("by-id-m1"), b);
        List<String> got = DevicePatterns.expand(List.of(dir + "/d*/m?.img", link.toString(), a.toString(), dir + "/nothing*"));
        assertEquals(List.of(a.toString(), b.toString(), c.toString()), got);
        assertEquals(List.of(), DevicePatterns.expand(List.of(dir + "/missing.img")));
        assertTrue(DevicePatterns.isGlob("ata-*"));
        assertFalse(DevicePatterns.isGlob("sda"));
    }

    @Test
    void aFileWithoutSuperblockIsReportedNotFatal(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("blank.img");
        Files.write(f, new byte[64 << 10]);
        MemberScan scan = MemberScan.of(List.of(dir + "/*.img"));
        assertEquals(1, scan.probed().size());
        assertFalse(scan.probed().get(0).usable());
        assertTrue(scan.arrays().isEmpty());
    }
}
