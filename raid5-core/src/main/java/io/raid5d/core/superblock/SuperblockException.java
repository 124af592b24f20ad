package io.raid5d.core.superblock;

/** A member's md superblock is missing, damaged, or describes something raid5d cannot use. */
public class SuperblockException extends Exception {
    private static final long serialVersionUID = 1L;

    public SuperblockException(String message) {
        super(message);
    }

    public SuperblockException(String message, Throwable cause) {
        super(message, cause);
    }
}
