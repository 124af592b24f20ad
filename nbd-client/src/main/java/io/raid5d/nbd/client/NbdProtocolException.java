package io.raid5d.nbd.client;

import java.io.IOException;

/**
 * The server broke the protocol (a bad magic, a reply to no request, data outside the request,
 * a short reply): the connection cannot be trusted any more and is closed; every request on it
 * fails with this.
 */
public final class NbdProtocolException extends IOException {
    public NbdProtocolException(String message) {
        super(message);
    }
}
