/**
 * Fixed newstyle handshake: greeting and client flags, then option haggling, one
 * {@link io.raid5d.nbd.handshake.OptionHandler} per option code, until a GO or EXPORT_NAME
 * switches the connection to the transmission pipeline.
 */
package io.raid5d.nbd.handshake;
