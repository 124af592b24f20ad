package io.raid5d.core.stripe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import org.junit.jupiter.api.Test;

/** The engine's one array-offset mapping agrees with md's layout arithmetic in Geometry, byte by byte. */
class PageCursorTest {

    @Test
    void agreesWithGeometryForEveryLayout() {
        for (Layout layout : Layout.values()) {
            Geometry g = Geometry.of(5, 32, layout, 4096); // 16 KiB chunks: 4 heads per chunk row
            PageCursor c = new PageCursor(g);
            for (long offset = 0; offset < g.arrayBytes(); offset += 1531) { // odd steps: every page offset
                c.at(offset);
                long sector = offset / 512;
                assertEquals(g.memberOf(sector), c.member, layout + " @" + offset);
                long memberByte = g.memberSectorOf(sector) * 512 + offset % 512;
                assertEquals(g.rowOf(sector), c.row, "row @" + offset);
                assertEquals(memberByte / StripeEngine.PAGE, c.key, "head key = member page @" + offset);
                assertEquals(memberByte % StripeEngine.PAGE, c.pageOffset, "page offset @" + offset);
                assertEquals(memberByte % g.chunkBytes(), c.inChunk, "chunk offset @" + offset);
            }
        }
    }

    @Test
    void bytesInPageStopAtThePageEnd() {
        PageCursor c = new PageCursor(Geometry.of(4, 128, Layout.LEFT_SYMMETRIC, 4096)).at(4096 + 4000);
        assertEquals(96, c.bytesInPage(1 << 20));
        assertEquals(10, c.bytesInPage(10));
    }
}
