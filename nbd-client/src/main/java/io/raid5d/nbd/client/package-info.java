/**
 * An NBD client: connects to an export named by an {@code nbd://} or {@code nbds://} URI, haggles
 * (fixed newstyle, STARTTLS, structured replies, OPT_GO with block sizes) and then carries many
 * requests in flight on one connection, each completed by its handle. It knows nothing of RAID:
 * the member device that uses it lives elsewhere.
 */
package io.raid5d.nbd.client;
