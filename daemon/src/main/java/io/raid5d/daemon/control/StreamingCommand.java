package io.raid5d.daemon.control;

import java.util.List;

/**
 * A verb whose reply is a stream of lines that lasts until the verb ends it or the client
 * goes away ({@code monitor}). Returning normally ends the reply with OK; a
 * {@link ControlException} ends it with ERR.
 */
@FunctionalInterface
public interface StreamingCommand {
    void stream(List<String> args, LineSink out) throws Exception;

    /** Where a streaming verb writes; each line is sent at once. */
    interface LineSink {
        /** Sends one line; throws IOException when the client has gone. */
        void line(String text) throws java.io.IOException;

        /** True once the client has closed its side of the connection. */
        boolean clientGone();
    }
}
