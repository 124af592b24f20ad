package io.raid5d.tools;

import io.raid5d.daemon.control.ControlProtocol;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The client side of the control socket for the {@code raid5} verbs: sends a request, prints
 * the daemon's lines, and turns a refusal or a failure to connect into one clear error line.
 */
final class ControlClient {
    private ControlClient() {
    }

    /** Sends {@code words}, prints each output line to {@code out}; throws with the daemon's reason on ERR. */
    static void run(Path socket, List<String> words, PrintWriter out) throws IOException {
        stream(socket, words, line -> {
            out.println(line);
            out.flush();
        });
    }

    static void stream(Path socket, List<String> words, Consumer<String> onLine) throws IOException {
        ControlProtocol.Reply reply;
        try {
            reply = ControlProtocol.stream(socket, words, onLine);
        } catch (SocketException | AccessDeniedException e) {
            throw new IOException(explain(socket, e), e);
        }
        if (!reply.ok()) {
            throw new IOException(reply.error());
        }
    }

    /** Why the socket could not be reached, in words a user can act on. */
    static String explain(Path socket, IOException e) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || m.contains("Permission denied")) {
            return "permission denied on " + socket + " (run as root)";
        }
        if (!Files.exists(socket) || m.contains("No such file")) {
            return "no raid5d control socket at " + socket + " (is raid5d running? see --control)";
        }
        if (m.contains("Connection refused")) {
            return "nothing listens on " + socket + " (raid5d is not running; a stale socket file)";
        }
        return "cannot reach raid5d at " + socket + ": " + m;
    }
}
