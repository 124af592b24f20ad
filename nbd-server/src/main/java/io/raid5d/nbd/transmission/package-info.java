/**
 * Transmission phase: one Netty handler per stage, installed by
 * {@link io.raid5d.nbd.transmission.TransmissionPipeline}. All per-connection state is confined
 * to the connection's event loop; export futures complete anywhere and hop back onto it.
 */
package io.raid5d.nbd.transmission;
