package io.raid5d.nbd.export;

/**
 * A run of bytes with one allocation state, as NBD_CMD_BLOCK_STATUS reports it for
 * {@code base:allocation}: {@code flags} is a combination of
 * {@link io.raid5d.nbd.protocol.MetaContexts#STATE_HOLE} and {@link io.raid5d.nbd.protocol.MetaContexts#STATE_ZERO}
 * (0 = allocated data).
 */
public record Extent(long length, int flags) {
    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length " + length);
        }
    }
}
