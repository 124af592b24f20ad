package io.raid5d.nbd.transmission;

import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.TransmissionFlags;

/** The transmission flags this server advertises for an export. */
public final class AdvertisedFlags {

    public static int of(BlockExport export) {
        int flags = TransmissionFlags.HAS_FLAGS | TransmissionFlags.SEND_FLUSH | TransmissionFlags.SEND_FUA;
        if (export.readOnly()) {
            flags |= TransmissionFlags.READ_ONLY;
        }
        if (export.canMultiConn()) {
            flags |= TransmissionFlags.CAN_MULTI_CONN;
        }
        return flags;
    }

    private AdvertisedFlags() {}
}
