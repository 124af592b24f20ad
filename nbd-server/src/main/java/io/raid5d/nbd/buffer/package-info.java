/** Buffers for the NBD server's receives and replies, with their ownership rules. */
package io.raid5d.nbd.buffer;
