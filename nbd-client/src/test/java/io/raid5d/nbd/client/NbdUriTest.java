package io.raid5d.nbd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NbdUriTest {
    @Test
    void parsesBothSchemesWithDefaultsAndCertificates() {
        assertEquals(new NbdUri(false, "10.0.0.2", 10809, "m0", Optional.empty()), NbdUri.parse("nbd://10.0.0.2/m0"));
        assertEquals(new NbdUri(true, "host.example", 10810, "disk one", Optional.of(Path.of("/etc/pki/raid5d"))),
                NbdUri.parse("nbds://host.example:10810/disk%20one?tls-certificates=/etc/pki/raid5d"));
        assertEquals("", NbdUri.parse("nbd://h").export());
        assertEquals("nbds://h:1/e?tls-certificates=/d", NbdUri.parse("nbds://h:1/e?tls-certificates=/d").toString());
        assertTrue(NbdUri.isNbdUri("nbds://h/e"));
        assertFalse(NbdUri.isNbdUri("/dev/sdb"));
    }

    @Test
    void refusesWhatIsNotAnNbdUriWithAReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("http://h/e")).getMessage().contains("nbd://"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd:///e")).getMessage().contains("no host"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd://h/e?tls-certificates=/d"))
                .getMessage().contains("nbds://"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd://h/e?timeout=3"))
                .getMessage().contains("unknown parameter timeout"));
    }
}
