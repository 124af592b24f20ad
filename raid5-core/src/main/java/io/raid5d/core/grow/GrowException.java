package io.raid5d.core.grow;

/** Why an array cannot be grown as asked; nothing was written. */
public final class GrowException extends Exception {
    public GrowException(String message) {
        super(message);
    }
}
