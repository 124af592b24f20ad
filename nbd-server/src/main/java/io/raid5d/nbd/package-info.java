/**
 * An NBD server over Netty that serves any {@link io.raid5d.nbd.export.BlockExport}:
 * {@link io.raid5d.nbd.NbdServer} with its {@link io.raid5d.nbd.NbdServerConfig}.
 * Subpackages: {@code export} (the SPI and registry), {@code handshake} (fixed newstyle option
 * haggling), {@code transmission} (request framing, validation, dispatch, replies),
 * {@code protocol} (wire constants), {@code lifecycle} (shutdown signalling).
 */
package io.raid5d.nbd;
