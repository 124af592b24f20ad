package io.raid5d.daemon.array;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raid5d.daemon.control.ControlException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class UnavailableArrayControlTest {

    @Test
    void everyOperationIsRefusedNamingTheMissingFeature() {
        ArrayControl c = new UnavailableArrayControl("data");
        refused("fail data: degraded mode is not available yet (issue #5)", () -> c.fail("/dev/sdb"));
        refused("remove data: degraded mode is not available yet (issue #5)", () -> c.remove("/dev/sdb"));
        refused("add data: degraded mode is not available yet (issue #5)", () -> c.add(Path.of("/dev/sdc")));
        refused("re-add data: degraded mode is not available yet (issue #5)", () -> c.reAdd(Path.of("/dev/sdc")));
        refused("check data: " + UnavailableArrayControl.SCRUB, c::check);
        refused("repair data: " + UnavailableArrayControl.SCRUB, c::repair);
        refused("grow --bitmap data: the write-intent bitmap engine is not available yet (issue #4)", () -> c.growBitmap("none"));
        refused("stripe-cache data: the stripe cache is not available yet (issue #3)", c::stripeCacheSize);
        refused("stripe-cache data: the stripe cache is not available yet (issue #3)", () -> c.setStripeCacheSize(64));
    }

    private static void refused(String message, Executable call) {
        assertEquals(message, assertThrows(ControlException.class, call).getMessage());
    }

    @Test
    void bitmapPagesFollowMdsCounterPages() {
        assertEquals(1, new BitmapInfo("internal", 64 << 20, 1).pages());
        assertEquals(1, new BitmapInfo("internal", 64 << 20, 2048).pages());
        assertEquals(2, new BitmapInfo("internal", 64 << 20, 2049).pages());
    }
}
