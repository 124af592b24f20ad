/** Signals that travel through connection pipelines when the server changes state. */
package io.raid5d.nbd.lifecycle;
