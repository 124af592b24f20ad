/** The daemon's side of remote members: watching failed or absent {@code nbd://} members and re-adding them when their hosts answer. */
package io.raid5d.daemon.remote;
