package io.raid5d.core.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand-written layout tables (worked out from md's raid5_compute_sector by hand), checked
 * in both directions. Each row is one stripe; each cell names the array chunk a member
 * holds, or "P" for parity.
 */
class GeometryLayoutTableTest {

    private static final int CHUNK = 8;

    static Stream<Arguments> tables() {
        return Stream.of(
                Arguments.of(Layout.LEFT_ASYMMETRIC, new String[] {
                    "0 1 P", "2 P 3", "P 4 5", "6 7 P"}),
                Arguments.of(Layout.RIGHT_ASYMMETRIC, new String[] {
                    "P 0 1", "2 P 3", "4 5 P", "P 6 7"}),
                Arguments.of(Layout.LEFT_SYMMETRIC, new String[] {
                    "0 1 P", "3 P 2", "P 4 5", "6 7 P"}),
                Arguments.of(Layout.RIGHT_SYMMETRIC, new String[] {
                    "P 0 1", "3 P 2", "4 5 P", "P 6 7"}),
                Arguments.of(Layout.PARITY_FIRST, new String[] {
                    "P 0 1", "P 2 3", "P 4 5"}),
                Arguments.of(Layout.PARITY_LAST, new String[] {
                    "0 1 P", "2 3 P", "4 5 P"}),

                Arguments.of(Layout.LEFT_ASYMMETRIC, new String[] {
                    "0 1 2 P", "3 4 P 5", "6 P 7 8", "P 9 10 11", "12 13 14 P"}),
                Arguments.of(Layout.RIGHT_ASYMMETRIC, new String[] {
                    "P 0 1 2", "3 P 4 5", "6 7 P 8", "9 10 11 P", "P 12 13 14"}),
                Arguments.of(Layout.LEFT_SYMMETRIC, new String[] {
                    "0 1 2 P", "4 5 P 3", "8 P 6 7", "P 9 10 11", "12 13 14 P"}),
                Arguments.of(Layout.RIGHT_SYMMETRIC, new String[] {
                    "P 0 1 2", "5 P 3 4", "7 8 P 6", "9 10 11 P", "P 12 13 14"}),
                Arguments.of(Layout.PARITY_FIRST, new String[] {
                    "P 0 1 2", "P 3 4 5", "P 6 7 8"}),
                Arguments.of(Layout.PARITY_LAST, new String[] {
                    "0 1 2 P", "3 4 5 P", "6 7 8 P"}),

                Arguments.of(Layout.LEFT_SYMMETRIC, new String[] {
                    "0 1 2 3 P", "5 6 7 P 4", "10 11 P 8 9", "15 P 12 13 14", "P 16 17 18 19"}),
                Arguments.of(Layout.RIGHT_ASYMMETRIC, new String[] {
                    "P 0 1 2 3", "4 P 5 6 7", "8 9 P 10 11", "12 13 14 P 15", "16 17 18 19 P"}));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tables")
    void mapsBothDirectionsAsTheTableSays(Layout layout, String[] rows) {
        int n = rows[0].split(" ").length;
        Geometry g = Geometry.of(n, CHUNK, layout, (long) rows.length * CHUNK);
        assertEquals(rows.length, g.rowCount());
        assertEquals((long) rows.length * (n - 1) * CHUNK, g.arraySectors());
        for (int s = 0; s < rows.length; s++) {
            String[] cells = rows[s].split(" ");
            for (int m = 0; m < n; m++) {
                for (int off : new int[] {0, 3, CHUNK - 1}) {
                    long memberSector = (long) s * CHUNK + off;
                    String where = layout + " stripe " + s + " member " + m + " offset " + off;
                    if (cells[m].equals("P")) {
                        assertEquals(m, g.parityDisk(s), where);
                        assertEquals(-1, g.dataIndexOf(s, m), where);
                        assertEquals(-1, g.arraySectorOf(m, memberSector), where);
                    } else {
                        long chunk = Long.parseLong(cells[m]);
                        long arraySector = chunk * CHUNK + off;
                        int dataIndex = (int) (chunk - (long) s * (n - 1));
                        assertEquals(m, g.memberOf(arraySector), where);
                        assertEquals(memberSector, g.memberSectorOf(arraySector), where);
                        assertEquals(s, g.rowOf(arraySector), where);
                        assertEquals(dataIndex, g.dataIndexOfSector(arraySector), where);
                        assertEquals(m, g.dataMember(s, dataIndex), where);
                        assertEquals(dataIndex, g.dataIndexOf(s, m), where);
                        assertEquals(arraySector, g.arraySectorOf(m, memberSector), where);
                    }
                }
            }
        }
    }
}
