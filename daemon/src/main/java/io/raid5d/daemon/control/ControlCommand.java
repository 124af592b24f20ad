package io.raid5d.daemon.control;

import java.util.List;

/** One verb of the control socket. Throws {@link ControlException} for a refusal with a reason. */
@FunctionalInterface
public interface ControlCommand {
    /** @param args the words after the verb; returns the output lines */
    List<String> run(List<String> args) throws Exception;
}
