/** Numbers of the NBD wire protocol (magics, flags, option, command and error codes, sizes). */
package io.raid5d.nbd.protocol;
