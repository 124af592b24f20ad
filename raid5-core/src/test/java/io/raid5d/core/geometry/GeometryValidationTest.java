package io.raid5d.core.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GeometryValidationTest {

    @Test
    void derivedSizes() {
        // 4 members, 64 KiB chunks, md "size" 30720 sectors: the ls4 fixture.
        Geometry g = Geometry.of(4, 128, Layout.LEFT_SYMMETRIC, 30720);
        assertEquals(4, g.raidDisks());
        assertEquals(3, g.dataDisks());
        assertEquals(128, g.chunkSectors());
        assertEquals(65536, g.chunkBytes());
        assertEquals(Layout.LEFT_SYMMETRIC, g.layout());
        assertEquals(30720, g.memberSectors());
        assertEquals(240, g.rowCount());
        assertEquals(384, g.rowDataSectors());
        assertEquals(92160, g.arraySectors());
        assertEquals(47185920L, g.arrayBytes());
        assertEquals(384 * 5, g.rowStartSector(5));
    }

    @Test
    void memberSizeIsRoundedDownToWholeChunks() {
        Geometry g = Geometry.of(3, 16, Layout.LEFT_SYMMETRIC, 16 * 10 + 15);
        assertEquals(160, g.memberSectors());
        assertEquals(10, g.rowCount());
        assertEquals(320, g.arraySectors());
    }

    @Test
    void rejectsTooFewDisks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.of(2, 128, Layout.LEFT_SYMMETRIC, 1024));
        assertTrue(e.getMessage().contains("at least 3 raid disks"), e.getMessage());
    }

    @Test
    void rejectsChunkNotPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.of(3, 24, Layout.LEFT_SYMMETRIC, 1024));
        assertTrue(e.getMessage().contains("power of two") && e.getMessage().contains("24"), e.getMessage());
    }

    @Test
    void rejectsChunkBelowFourKiB() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.of(3, 4, Layout.LEFT_SYMMETRIC, 1024));
        assertTrue(e.getMessage().contains("at least 8 sectors"), e.getMessage());
    }

    @Test
    void rejectsMemberSmallerThanOneChunk() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.of(3, 128, Layout.LEFT_SYMMETRIC, 127));
        assertTrue(e.getMessage().contains("smaller than one chunk"), e.getMessage());
    }

    @Test
    void rejectsNullLayout() {
        assertThrows(NullPointerException.class, () -> Geometry.of(3, 128, null, 1024));
    }

    @Test
    void rejectsOutOfRangeAddresses() {
        Geometry g = Geometry.of(3, 8, Layout.LEFT_SYMMETRIC, 80);
        assertThrows(IndexOutOfBoundsException.class, () -> g.memberOf(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> g.memberOf(g.arraySectors()));
        assertThrows(IndexOutOfBoundsException.class, () -> g.arraySectorOf(3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> g.arraySectorOf(0, 80));
        assertThrows(IndexOutOfBoundsException.class, () -> g.parityDisk(10));
        assertThrows(IndexOutOfBoundsException.class, () -> g.dataMember(0, 2));
    }

    @Test
    void equalGeometriesAreEqual() {
        assertEquals(Geometry.of(5, 32, Layout.LEFT_ASYMMETRIC, 14336),
                Geometry.of(5, 32, Layout.LEFT_ASYMMETRIC, 14336 + 31));
        assertEquals(Geometry.of(5, 32, Layout.LEFT_ASYMMETRIC, 14336).hashCode(),
                Geometry.of(5, 32, Layout.LEFT_ASYMMETRIC, 14336).hashCode());
    }
}
