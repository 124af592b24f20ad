/** TLS for NBD_OPT_STARTTLS: the server's certificate and mode ({@link io.raid5d.nbd.tls.TlsSettings}). */
package io.raid5d.nbd.tls;
