package io.raid5d.nbd.client;

import java.io.IOException;

/** The server answered a request with an error (an errno on the wire, and a message when structured). */
public final class NbdErrorReply extends IOException {
    private final int errno;

    public NbdErrorReply(String what, int errno, String message) {
        super(what + " failed on the server: " + errnoName(errno) + (message == null || message.isEmpty() ? "" : " (" + message + ")"));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 5 -> "EIO";
            case 12 -> "ENOMEM";
            case 22 -> "EINVAL";
            case 28 -> "ENOSPC";
            case 75 -> "EOVERFLOW";
            case 95 -> "ENOTSUP";
            case 108 -> "ESHUTDOWN";
            default -> "error " + errno;
        };
    }
}
