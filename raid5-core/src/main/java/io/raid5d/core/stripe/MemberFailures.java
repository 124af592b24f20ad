package io.raid5d.core.stripe;

/**
 * What the engine tells its array about member errors. Called on a member-I/O thread, outside
 * the engine lock, and may block: {@link #memberFailed} must have recorded the failure on the
 * remaining members (md: role 0xfffe, events+1, synced) before it returns, because the engine
 * acknowledges writes of the failing pass only afterwards.
 */
public interface MemberFailures {
    /**
     * Member {@code role} returned an I/O error that could not be repaired: it is faulty now.
     * The array tells its write-intent log it is degraded before anything else (bits written
     * from now on must stay set), then records the failure.
     */
    void memberFailed(int role, Throwable cause);

    /** A read error on {@code role} was repaired by rewriting the reconstructed block (md's cnt_corrected_read). */
    void correctedRead(int role);

    /**
     * Member {@code role} returned a read error the engine could repair: counts it, and says
     * whether the member is now past the read error limit (md's max_corrected_read_errors), in
     * which case the engine fails it instead of repairing the block again.
     */
    default boolean readErrorLimitReached(int role) {
        return false;
    }

    MemberFailures NONE = new MemberFailures() {
        @Override
        public void memberFailed(int role, Throwable cause) {
        }

        @Override
        public void correctedRead(int role) {
        }
    };
}
