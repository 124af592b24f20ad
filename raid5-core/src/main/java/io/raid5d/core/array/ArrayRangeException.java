package io.raid5d.core.array;

/** A request outside the array's bounds; nothing was read or written. */
public final class ArrayRangeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ArrayRangeException(String message) {
        super(message);
    }
}
