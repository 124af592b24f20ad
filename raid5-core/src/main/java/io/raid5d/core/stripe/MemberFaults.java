package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.io.IOException;

/**
 * Member failure handling: marks a member faulty and has the array record it (through
 * {@link MemberFailures}) one failure at a time, and is the barrier a pass that skipped a lost
 * member goes through before it acknowledges. See docs/design.md, "Failing a member".
 */
final class MemberFaults {
    private final String name;
    private final MemberSet members;
    // Member failures are recorded one at a time; a pass that skipped a lost member passes
    // through this monitor before it acknowledges, so it never beats the superblock update.
    // Shared by the two engines of a growing array (both record into one set of superblocks).
    private final Object failureLock;
    private volatile MemberFailures failures = MemberFailures.NONE; // set before any I/O

    MemberFaults(String name, MemberSet members, Object failureLock) {
        this.failureLock = failureLock;
        this.name = name;
        this.members = members;
    }

    Object failureLock() {
        return failureLock;
    }

    void setMemberFailures(MemberFailures failures) {
        this.failures = failures;
    }

    /** See {@link StripeEngine#failMember}. Any thread that may block. */
    void failMember(int role, Throwable cause) {
        synchronized (failureLock) {
            if (members.markFaulty(role)) {
                failures.memberFailed(role, cause); // the array tells its bitmap first (degraded: keep bits)
            }
        }
    }

    /** Waits until every member failure noticed so far is recorded (a no-op when none is in progress). */
    void awaitFailuresRecorded() {
        synchronized (failureLock) {
            // the monitor is the barrier
        }
    }

    /** A read error on {@code role} was repaired by rewriting the block. */
    void correctedRead(int role) {
        failures.correctedRead(role);
    }

    /** A repairable read error on {@code role}: true when it is one too many (the member must be failed). */
    boolean readErrorLimitReached(int role) {
        return failures.readErrorLimitReached(role);
    }

    IOException arrayFailed() {
        return new IOException("array " + name + " has failed: more than one member is lost");
    }

    /** The role this head cannot read (lost, or a spare not rebuilt this far), or -1. */
    int lostFor(StripeHead sh) {
        int lost = members.lostRole();
        if (lost < 0 || members.readable(lost, (sh.key + 1) * StripeEngine.PAGE_SECTORS)) {
            return -1;
        }
        return lost;
    }
}
