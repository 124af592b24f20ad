package io.raid5d.core.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GrowTest {

    @Test
    void theShiftAndTheUnitAreMdadms() {
        // 4 -> 5 members, 512K chunk: mdadm moves the data offset down by 4096 sectors (2 MiB)
        Grow g = Grow.of(Geometry.of(4, 1024, Layout.LEFT_SYMMETRIC, 1 << 20), 5);
        assertEquals(4096, g.offsetShift());
        assertEquals(4096, g.unitSectors());
        assertEquals(5, g.after().raidDisks());
        assertEquals(g.before().memberSectors(), g.after().memberSectors(), "a grow does not change the member size");
        assertEquals(1 << 20, g.after().memberSectors());
        assertEquals(3L * (1 << 20), g.arraySectorsDuring());
        assertEquals(4L * (1 << 20), g.after().arraySectors());
        // 5 -> 7: lcm(4C, 6C) / 4 = 3C
        assertEquals(3 * 128, Grow.of(Geometry.of(5, 128, Layout.LEFT_SYMMETRIC, 4096), 7).offsetShift());
        assertEquals(264192 - 4096, g.newDataOffset(264192));
        assertThrows(IllegalArgumentException.class, () -> Grow.of(Geometry.of(4, 8, Layout.LEFT_SYMMETRIC, 64), 4));
    }

    @Test
    void roomBeforeTheDataIsChecked() {
        Grow g = Grow.of(Geometry.of(3, 1024, Layout.LEFT_SYMMETRIC, 1 << 20), 4);
        assertEquals(3072, g.offsetShift());
        assertNull(g.whyNoRoom(264192, 8 + 8 + 128));
        String why = g.whyNoRoom(2048, 8 + 8 + 128);
        assertNotNull(why);
        assertTrue(why.contains("moves it down by 3072 sectors"), why);
        assertNotNull(g.whyNoRoom(3072 + 40, 8), "md keeps 36 KiB after the superblock");
    }

    /**
     * The crash-safety rule, checked against a model: every old cell (data or parity) a step
     * overwrites must belong only to array data below the recorded position. The sweep records
     * only when {@link Grow#mustRecordBefore} says so; a model of every member's cells finds any
     * overwrite of old data still needed, for many shapes.
     */
    @Test
    void recordingWhenToldNeverOverwritesOldDataStillNeeded() {
        for (int n = 3; n <= 7; n++) {
            for (int k = 1; k <= 3; k++) {
                for (int chunk : new int[] {8, 16}) {
                    for (Layout layout : Layout.values()) {
                        sweep(Geometry.of(n, chunk, layout, 48L * chunk), n + k);
                    }
                }
            }
        }
    }

    private static void sweep(Geometry before, int newDisks) {
        Grow g = Grow.of(before, newDisks);
        Geometry after = g.after();
        int chunk = before.chunkSectors();
        long shift = g.offsetShift();
        long safe = 0;
        long records = 0;
        long steps = 0;
        for (long progress = 0; progress < before.arraySectors(); progress += g.unitSectors()) {
            if (g.mustRecordBefore(progress, safe)) {
                safe = progress; // everything before this step is written and now recorded
                records++;
            }
            steps++;
            long newRow = progress / g.unitSectors();
            // the step writes new row newRow on every member: new per-device [newRow*chunk, +chunk)
            for (long s = newRow * chunk; s < (newRow + 1) * chunk; s++) {
                long old = s - shift; // the same device address seen from the old data offset
                if (old < 0 || old >= before.memberSectors()) {
                    continue;
                }
                for (int m = 0; m < before.raidDisks(); m++) {
                    long a = before.arraySectorOf(m, old);
                    long row = old / chunk;
                    // a data cell needs its array sector copied; a parity cell guards its whole row
                    long needed = a >= 0 ? a : before.rowStartSector(row) + before.rowDataSectors() - 1;
                    assertTrue(needed < safe, "grow " + before + " -> " + newDisks + ": step at " + progress
                            + " overwrites old member " + m + " sector " + old + " (array " + needed
                            + ") with only " + safe + " recorded");
                }
            }
        }
        assertTrue(records < steps, "recorded at every step: " + records + " of " + steps + " for " + g);
        assertTrue(after.arraySectors() > before.arraySectors());
    }
}
