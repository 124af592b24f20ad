package io.raid5d.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code raid5 monitor}: prints the daemon's array events as they happen, one line each
 * ("EVENT ARRAY [MEMBER]"), and with {@code --program CMD} runs CMD EVENT ARRAY [MEMBER] for
 * each, like mdadm --monitor. Ends (status 0) when the daemon stops.
 */
@Command(name = "monitor", description = "Print array events as they happen; optionally run a program per event.")
final class MonitorCommand implements Callable<Integer> {
    /** The daemon's first line: the subscription is in place. */
    static final String HELLO = "monitoring";

    @ParentCommand
    Raid5Cli parent;
    @Spec
    CommandSpec spec;

    @Option(names = "--program", paramLabel = "CMD", description = "run CMD EVENT ARRAY [MEMBER] for every event (waits for it)")
    String program;
    @Option(names = "--test", description = "start with a TestMessage event for every running array")
    boolean test;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        java.nio.file.Path socket = parent.controlSocket();
        List<String> request = test ? List.of("monitor", "--test") : List.of("monitor");
        boolean[] started = {false};
        try {
            ControlClient.stream(socket, request, line -> {
                if (!started[0] && line.equals(HELLO)) {
                    started[0] = true;
                    err.println("raid5: monitoring raid5d at " + socket);
                    err.flush();
                    return;
                }
                List<String> words = List.of(line.split("\t"));
                out.println(String.join(" ", words));
                out.flush();
                if (program != null) {
                    runProgram(words, err);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        err.println("raid5: raid5d stopped; monitor ends");
        return 0;
    }

    private void runProgram(List<String> words, PrintWriter err) {
        List<String> cmd = new ArrayList<>();
        cmd.add(program);
        cmd.addAll(words);
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            int status = p.waitFor();
            if (status != 0) {
                err.println("raid5: warning: " + program + " " + String.join(" ", words) + " exited with " + status);
            }
        } catch (IOException e) {
            err.println("raid5: warning: cannot run " + program + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        err.flush();
    }
}
