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
        assertEquals(java.util.List.of(Path.of("/dev/sdb"), Path.of("/dev/sdc"), Path.of("/dev/sdd")), s.members());
        assertTrue(ArraySpec.parse("r=m0.img").members().get(0).isAbsolute());
        for (String bad : new String[] {"noequals", "=a,b", "x=", "x=a,,b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArraySpec.parse(bad));
            assertTrue(e.getMessage().contains("--array"), e.getMessage());
        }
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
