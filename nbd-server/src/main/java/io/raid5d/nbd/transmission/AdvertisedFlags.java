package io.raid5d.nbd.transmission;

import io.raid5d.nbd.export.BlockExport;
import io.raid5d.nbd.protocol.TransmissionFlags;

/** The transmission flags this server advertises for an export on one connection. */
public final class AdvertisedFlags {

    /**
     * FLUSH, FUA and CACHE always; TRIM and WRITE_ZEROES (with FAST_ZERO, which may be refused
     * per request) where the export can and is writable; DF only once structured replies were
     * negotiated, as the spec demands; MULTI_CONN where the export says flushes are global.
     */
    public static int of(BlockExport export, Session session) {
        int flags = TransmissionFlags.HAS_FLAGS | TransmissionFlags.SEND_FLUSH | TransmissionFlags.SEND_FUA
                | TransmissionFlags.SEND_CACHE;
        if (export.readOnly()) {
            flags |= TransmissionFlags.READ_ONLY;
        } else {
            if (export.canTrim()) {
                flags |= TransmissionFlags.SEND_TRIM;
            }
            if (export.canWriteZeroes()) {
                flags |= TransmissionFlags.SEND_WRITE_ZEROES | TransmissionFlags.SEND_FAST_ZERO;
            }
        }
        if (session.structuredReplies()) {
            flags |= TransmissionFlags.SEND_DF;
        }
        if (export.canMultiConn()) {
            flags |= TransmissionFlags.CAN_MULTI_CONN;
        }
        return flags;
    }

    private AdvertisedFlags() {}
}
