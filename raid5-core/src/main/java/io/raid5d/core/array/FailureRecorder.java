package io.raid5d.core.array;

import io.raid5d.core.intent.WriteIntentLog;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.stripe.MemberFailures;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the array does when the engine reports a member error: records the failure in the
 * superblocks of the remaining members before anything is acknowledged, and tells listeners;
 * counts corrected reads. Called on engine I/O threads (failure lock held), may block.
 */
final class FailureRecorder implements MemberFailures {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());

    private final String name;
    private final MemberSet members;
    private final ArrayMetadata metadata;
    private final ArrayEvents events;
    private final Runnable afterFailure; // must not block: hands hot-spare activation to its own thread
    private final ReadErrorLimit readErrors;
    private final WriteIntentLog intentLog;

    FailureRecorder(String name, MemberSet members, ArrayMetadata metadata, ArrayEvents events, Runnable afterFailure,
                    ReadErrorLimit readErrors, WriteIntentLog intentLog) {
        this.intentLog = intentLog;
        this.afterFailure = afterFailure;
        this.readErrors = readErrors;
        this.name = name;
        this.members = members;
        this.metadata = metadata;
        this.events = events;
    }

    @Override
    public void memberFailed(int role, Throwable cause) {
        intentLog.setDegraded(true); // before any later write ends: its bits must stay set
        String path = members.member(role) != null ? members.member(role).path() : "role " + role;
        LOG.severe(() -> "array " + name + ": member " + path + " is faulty"
                + (cause == null ? "" : " (" + cause.getMessage() + ")") + (members.failed() ? "; the array has failed"
                : "; running degraded"));
        try {
            metadata.memberFaulty(role);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.SEVERE, "array " + name + ": could not record the failure of " + path + " in the superblocks", e);
        }
        events.fire(ArrayListener.Kind.FAIL, path, 0);
        events.fire(members.failed() ? ArrayListener.Kind.ARRAY_FAILED : ArrayListener.Kind.DEGRADED_ARRAY, null, 0);
        afterFailure.run();
    }

    @Override
    public boolean readErrorLimitReached(int role) {
        MemberDevice dev = members.member(role);
        if (dev == null) {
            return false;
        }
        int count = readErrors.record(dev);
        if (count <= readErrors.max()) {
            return false;
        }
        // md/raid10's words: "Raid device exceeded read_error threshold [cur %d:max %d]"
        LOG.severe(() -> "array " + name + ": " + dev.path() + " exceeded the read error threshold [cur " + count + ":max "
                + readErrors.max() + "]: failing it (read errors are halved for every hour without one)");
        return true;
    }

    @Override
    public void correctedRead(int role) {
        metadata.correctedRead(role);
        LOG.warning(() -> "array " + name + ": read error on " + members.paths().get(role)
                + " corrected by rewriting the reconstructed block");
    }
}
