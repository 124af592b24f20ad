package io.raid5d.daemon.control;

/** A control request refused with a one-line reason for the user. */
public final class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    public ControlException(String reason) {
        super(reason);
    }
}
