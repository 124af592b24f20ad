package io.raid5d.core.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The two mapping directions are inverse, and every row has exactly one parity member. */
class GeometryPropertyTest {

    @ParameterizedTest
    @EnumSource(Layout.class)
    void arrayToMemberAndBackIsIdentity(Layout layout) {
        SplittableRandom random = new SplittableRandom(layout.ordinal() * 7919L + 1);
        for (int trial = 0; trial < 200; trial++) {
            int n = 3 + random.nextInt(14);
            int chunk = 8 << random.nextInt(8);
            long memberSectors = chunk + random.nextLong(1L << 34);
            Geometry g = Geometry.of(n, chunk, layout, memberSectors);
            for (int i = 0; i < 500; i++) {
                long sector = random.nextLong(g.arraySectors());
                int member = g.memberOf(sector);
                long memberSector = g.memberSectorOf(sector);
                long stripe = g.rowOf(sector);
                String where = g + " sector " + sector;
                assertTrue(member >= 0 && member < n, where);
                assertTrue(memberSector >= 0 && memberSector < g.memberSectors(), where);
                assertNotEquals(g.parityDisk(stripe), member, where);
                assertEquals(stripe, memberSector / chunk, where);
                assertEquals(sector, g.arraySectorOf(member, memberSector), where);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void memberToArrayAndBackIsIdentity(Layout layout) {
        SplittableRandom random = new SplittableRandom(layout.ordinal() * 104729L + 3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 3 + random.nextInt(14);
            int chunk = 8 << random.nextInt(8);
            Geometry g = Geometry.of(n, chunk, layout, chunk + random.nextLong(1L << 34));
            for (int i = 0; i < 500; i++) {
                int member = random.nextInt(n);
                long memberSector = random.nextLong(g.memberSectors());
                long stripe = memberSector / chunk;
                long sector = g.arraySectorOf(member, memberSector);
                String where = g + " member " + member + " sector " + memberSector;
                if (sector < 0) {
                    assertEquals(g.parityDisk(stripe), member, where);
                } else {
                    assertEquals(member, g.memberOf(sector), where);
                    assertEquals(memberSector, g.memberSectorOf(sector), where);
                    assertEquals(stripe, g.rowOf(sector), where);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void eachRowIsAPermutationOfDataIndicesAndOneParity(Layout layout) {
        for (int n = 3; n <= 9; n++) {
            Geometry g = Geometry.of(n, 8, layout, 8L * 3 * n);
            for (long s = 0; s < g.rowCount(); s++) {
                boolean[] seen = new boolean[n];
                int parity = g.parityDisk(s);
                seen[parity] = true;
                for (int dd = 0; dd < n - 1; dd++) {
                    int m = g.dataMember(s, dd);
                    assertTrue(!seen[m], layout + " n=" + n + " stripe " + s + " member " + m + " used twice");
                    seen[m] = true;
                    assertEquals(dd, g.dataIndexOf(s, m));
                }
                assertEquals(-1, g.dataIndexOf(s, parity));
            }
        }
    }
}
