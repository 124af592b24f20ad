package io.raid5d.core.assembly;

/** The given members do not form a usable array; the message says why and names the member. */
public final class AssemblyException extends Exception {
    private static final long serialVersionUID = 1L;

    public AssemblyException(String message) {
        super(message);
    }

    public AssemblyException(String message, Throwable cause) {
        super(message, cause);
    }
}
