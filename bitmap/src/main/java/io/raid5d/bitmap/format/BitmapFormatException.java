package io.raid5d.bitmap.format;

/** An md bitmap superblock that cannot be used: wrong magic, unknown version, impossible values. */
public class BitmapFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public BitmapFormatException(String message) {
        super(message);
    }

    public BitmapFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
