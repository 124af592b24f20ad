package io.raid5d.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonArgumentsTest {

    @Test
    void arraySpecs() {
        ArraySpec s = ArraySpec.parse("data=/dev/sdb,/dev/sdc, /dev/sdd");
        assertEquals("data", s.name());
        assertEquals(java.util.List.of("/dev/sdb", "/dev/sdc", "/dev/sdd"), s.members());
        assertTrue(Path.of(ArraySpec.parse("r=m0.img").members().get(0)).isAbsolute());
        for (String bad : new String[] {"noequals", "=a,b", "x=", "x=a,,b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArraySpec.parse(bad));
            assertTrue(e.getMessage().contains("--array"), e.getMessage());
        }
    }

    @Test
    void bitmapFilesGoWithTheirArrays() throws Exception {
        DaemonSettings s = DaemonSettings.resolve(null, null, null, null, null, java.util.List.of("a=/m0,/m1,/m2", "b=/n0,/n1,/n2"),
                java.util.List.of("a=rel.bitmap"));
        assertEquals(java.util.Optional.of(Path.of("rel.bitmap").toAbsolutePath()), s.cliArrays().get(0).bitmapFile());
        assertEquals(java.util.Optional.empty(), s.cliArrays().get(1).bitmapFile());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> DaemonSettings.resolve(null,
                null, null, null, null, java.util.List.of("a=/m0,/m1,/m2"), java.util.List.of("c=/x.bitmap")));
        assertTrue(unknown.getMessage().contains("no --array or configured ARRAY is named c"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArraySpec.parseBitmap("nofile"));
        assertThrows(IllegalArgumentException.class, () -> DaemonSettings.resolve(null, null, null, null, null,
                java.util.List.of("a=/m0,/m1,/m2"), java.util.List.of("a=/x", "a=/y")));
    }

    @Test
    void configuredBitmapFilesAreGivenToAssembly(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path conf = dir.resolve("raid5d.conf");
        java.nio.file.Files.writeString(conf, "ARRAY f bitmap=/var/lib/f.bitmap\nARRAY i bitmap=internal\nARRAY n\n");
        io.raid5d.daemon.config.DaemonConfig config = io.raid5d.daemon.config.ConfigParser.read(conf);
        ConfiguredAssembly ca = new ConfiguredAssembly(config, null, java.util.Map.of("n", Path.of("/cli.bitmap")));
        assertEquals(java.util.Optional.of(Path.of("/var/lib/f.bitmap")), ca.bitmapFileFor("f"));
        assertEquals(java.util.Optional.empty(), ca.bitmapFileFor("i"));
        assertEquals(java.util.Optional.of(Path.of("/cli.bitmap")), ca.bitmapFileFor("n"));
        assertEquals(java.util.Optional.empty(), ca.bitmapFileFor("other"));
    }

    @Test
    void listenAddresses() {
        assertEquals(new InetSocketAddress("127.0.0.1", 10809), Raid5Daemon.parseListen("127.0.0.1:10809"));
        assertEquals(new InetSocketAddress("::1", 0), Raid5Daemon.parseListen("[::1]:0"));
        assertThrows(IllegalArgumentException.class, () -> Raid5Daemon.parseListen("10809"));
        assertThrows(IllegalArgumentException.class, () -> Raid5Daemon.parseListen("h:99999"));
        assertThrows(IllegalArgumentException.class, () -> Raid5Daemon.parseListen("h:port"));
    }
}
