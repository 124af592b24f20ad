package io.raid5d.core.array;

/** A management operation (fail, remove, add, re-add, check, repair) was refused; the message says why. Nothing changed. */
public final class ArrayOperationException extends Exception {
    private static final long serialVersionUID = 1L;

    public ArrayOperationException(String message) {
        super(message);
    }
}
