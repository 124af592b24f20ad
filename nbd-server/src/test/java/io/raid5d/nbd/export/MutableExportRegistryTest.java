package io.raid5d.nbd.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.export.memory.InMemoryExport;
import java.util.List;
import org.junit.jupiter.api.Test;

class MutableExportRegistryTest {
    private final BlockExport a = InMemoryExport.builder("a", 512).build();
    private final BlockExport b = InMemoryExport.builder("b", 512).build();

    @Test
    void emptyNameIsTheOnlyExport() {
        MutableExportRegistry registry = new MutableExportRegistry().add(b);
        assertEquals(b, registry.find("").orElseThrow());
        registry.add(a);
        assertTrue(registry.find("").isEmpty(), "two exports and no default: no answer");
        assertEquals(List.of(a, b), registry.list());
    }

    @Test
    void emptyNameIsTheMarkedDefault() {
        MutableExportRegistry registry = new MutableExportRegistry().add(a).addDefault(b);
        assertEquals(b, registry.find("").orElseThrow());
        registry.remove("b");
        assertTrue(registry.find("").isEmpty(), "the marked default is gone");
        registry.setDefault(null);
        assertEquals(a, registry.find("").orElseThrow());
    }

    @Test
    void namesAreUniqueAndNonEmpty() {
        MutableExportRegistry registry = new MutableExportRegistry().add(a);
        assertThrows(IllegalArgumentException.class, () -> registry.add(InMemoryExport.builder("a", 1).build()));
        assertThrows(IllegalArgumentException.class, () -> registry.add(InMemoryExport.builder("", 1).build()));
        assertTrue(registry.find("zzz").isEmpty());
    }
}
