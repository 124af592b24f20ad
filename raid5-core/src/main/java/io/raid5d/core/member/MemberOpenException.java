package io.raid5d.core.member;

/** A member could not be opened; the message names the path and the reason. */
public final class MemberOpenException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the open failed, for callers that react differently (e.g. exit codes). */
    public enum Reason {
        NOT_FOUND("no such file"),
        NOT_A_DEVICE("not a regular file or block device"),
        PERMISSION_DENIED("permission denied"),
        BUSY("busy"),
        IO_ERROR("I/O error"),
        /** A name that cannot name a member (a malformed URI). */
        INVALID_NAME("not a valid member name"),
        /** A remote member's server could not be reached, or would not serve the export. */
        UNREACHABLE("cannot be reached");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        /** The short text used in messages, e.g. "no such file". */
        public String text() {
            return text;
        }
    }

    private final String path;
    private final Reason reason;

    public MemberOpenException(String path, Reason reason, String detail, Throwable cause) {
        super(path + ": " + reason.text() + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"), cause);
        this.path = path;
        this.reason = reason;
    }

    public MemberOpenException(String path, Reason reason, String detail) {
        this(path, reason, detail, null);
    }

    public String path() {
        return path;
    }

    public Reason reason() {
        return reason;
    }
}
