/**
 * Remote members: an NBD export on another host (served there by nbdkit, nbd-server or another
 * raid5d) used as one member of an array, named by its {@code nbd://} or {@code nbds://} URI
 * wherever a member path is accepted. Registered with the core through
 * {@link io.raid5d.core.member.MemberDeviceProvider}; the engine sees a {@code MemberDevice} whose
 * I/O errors are the network's: a request unanswered within the timeout, a lost connection, a
 * server that breaks the protocol.
 */
package io.raid5d.remote;
