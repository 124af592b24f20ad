package io.raid5d.nbd.client;

import io.raid5d.nbd.protocol.TransmissionFlags;

/**
 * What the server said of the export when transmission began.
 *
 * @param size             bytes
 * @param flags            NBD transmission flags ({@link TransmissionFlags})
 * @param minimumBlock     requests must be multiples of this (1 when the server said nothing)
 * @param preferredBlock   the server's preferred request granularity
 * @param maximumPayload   the longest READ or WRITE payload the server takes
 * @param structured       structured replies were agreed
 */
public record ExportInfo(long size, int flags, int minimumBlock, int preferredBlock, int maximumPayload,
                         boolean structured) {

    public boolean readOnly() { return (flags & TransmissionFlags.READ_ONLY) != 0; }
    public boolean canFlush() { return (flags & TransmissionFlags.SEND_FLUSH) != 0; }
    public boolean canFua() { return (flags & TransmissionFlags.SEND_FUA) != 0; }
    public boolean canTrim() { return (flags & TransmissionFlags.SEND_TRIM) != 0; }
    public boolean canWriteZeroes() { return (flags & TransmissionFlags.SEND_WRITE_ZEROES) != 0; }
    public boolean canMultiConn() { return (flags & TransmissionFlags.CAN_MULTI_CONN) != 0; }
}
