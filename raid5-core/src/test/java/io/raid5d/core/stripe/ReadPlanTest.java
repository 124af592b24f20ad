package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * md's RMW/RCW choice and read counting for one head of a 5-member array (parity on member 4),
 * from the pages' state: up to date or not, pending writes covering part or all of a page.
 */
class ReadPlanTest {
    private static final int PARITY = 4;

    private static StripeHead head() {
        StripeHead h = new StripeHead(5, StripeEngine.PAGE);
        h.key = 9;
        h.parityMember = PARITY;
        return h;
    }

    /** A pending write of {@code length} bytes at {@code offset} of member {@code m}'s page. */
    private static void write(StripeHead h, int m, int offset, int length) {
        WriteRequest r = new WriteRequest(0, new ByteBuffer[] {ByteBuffer.allocate(length)}, length, false);
        h.devs[m].queue(new Piece(r, offset, length, ByteBuffer.allocate(length), 0));
    }

    private static long mask(int... members) {
        long m = 0;
        for (int x : members) {
            m |= 1L << x;
        }
        return m;
    }

    @Test
    void oneSmallWriteOnACleanHeadIsARmwOfTwoReads() {
        StripeHead h = head();
        write(h, 1, 512, 512);
        ReadPlan p = ReadPlan.of(h, -1, true);
        assertTrue(p.rmw());
        assertEquals(mask(1, PARITY), p.readMask(), "old data and old parity");
    }

    @Test
    void aHeadTheResyncHasNotReachedIsNeverRmw() {
        StripeHead h = head();
        write(h, 1, 512, 512);
        ReadPlan p = ReadPlan.of(h, -1, false);
        assertFalse(p.rmw());
        assertEquals(mask(0, 1, 2, 3), p.readMask(), "RCW reads every data page not fully overwritten");
    }

    @Test
    void mostPagesOverwrittenIsARcwOfTheRest() {
        StripeHead h = head();
        write(h, 0, 0, StripeEngine.PAGE);
        write(h, 1, 0, StripeEngine.PAGE);
        write(h, 2, 0, 100); // partial
        ReadPlan p = ReadPlan.of(h, -1, true);
        assertFalse(p.rmw(), "RCW needs 2 reads (2, 3), RMW 4 (0, 1, 2, parity)");
        assertEquals(mask(2, 3), p.readMask());
    }

    @Test
    void equalCountsPreferRcw() {
        StripeHead h = head();
        write(h, 0, 0, StripeEngine.PAGE);
        write(h, 1, 0, 100);
        // RCW: 1, 2, 3 = 3 reads; RMW: 0, 1, parity = 3 reads: not strictly fewer
        ReadPlan p = ReadPlan.of(h, -1, true);
        assertFalse(p.rmw());
        assertEquals(3, p.reads());
    }

    @Test
    void upToDatePagesAreNotRead() {
        StripeHead h = head();
        write(h, 1, 0, 100);
        for (int m = 0; m < 5; m++) {
            h.devs[m].uptodate = true;
        }
        assertEquals(0, ReadPlan.of(h, -1, true).reads());
    }

    @Test
    void degradedIsAReconstructWriteThatNeverReadsTheLostMember() {
        StripeHead h = head();
        write(h, 0, 0, 100);
        ReadPlan p = ReadPlan.of(h, 2, true); // member 2 lost, its data not overwritten: rebuild it
        assertFalse(p.rmw());
        assertTrue(p.reconstruct());
        assertEquals(mask(0, 1, 3, PARITY), p.readMask());
        StripeHead full = head();
        for (int m = 0; m < 4; m++) {
            write(full, m, 0, StripeEngine.PAGE);
        }
        ReadPlan f = ReadPlan.of(full, 2, true);
        assertFalse(f.reconstruct(), "the lost page is fully overwritten");
        assertEquals(0, f.reads());
        ReadPlan parityLost = ReadPlan.of(head(), PARITY, true);
        assertFalse(parityLost.reconstruct(), "parity lost: nothing to rebuild, data pages are not needed either");
    }
}
