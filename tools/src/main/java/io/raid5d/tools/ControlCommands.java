package io.raid5d.tools;

import io.raid5d.daemon.control.ControlProtocol;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The verbs that a running raid5d carries out, sent over its control socket. */
final class ControlCommands {
    private ControlCommands() {
    }

    /** Sends one request and prints the daemon's output; a refusal becomes the error line. */
    abstract static class Base implements Callable<Integer> {
        @ParentCommand
        Raid5Cli parent;
        @Spec
        CommandSpec spec;

        abstract List<String> request();

        @Override
        public Integer call() throws Exception {
            ControlProtocol.Reply reply;
            try {
                reply = ControlProtocol.call(parent.control, request());
            } catch (SocketException e) {
                throw new IOException("cannot reach raid5d at " + parent.control + ": " + e.getMessage()
                        + " (is it running? permission to the socket?)", e);
            }
            reply.lines().forEach(spec.commandLine().getOut()::println);
            if (!reply.ok()) {
                throw new IOException(reply.error());
            }
            return 0;
        }
    }

    @Command(name = "status", description = "All arrays of the running daemon, like /proc/mdstat.")
    static final class Status extends Base {
        @Override
        List<String> request() {
            return List.of("status");
        }
    }

    @Command(name = "detail", description = "One array of the running daemon, like mdadm --detail.")
    static final class Detail extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        List<String> request() {
            return List.of("detail", name);
        }
    }

    @Command(name = "stop", description = "Stop serving an array: drain, flush, mark the members clean.")
    static final class Stop extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        List<String> request() {
            return List.of("stop", name);
        }
    }

    @Command(name = "assemble", description = "Assemble an array from its members and serve it under NAME.")
    static final class Assemble extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "MEMBER")
        List<String> members;

        @Override
        List<String> request() {
            List<String> words = new ArrayList<>(List.of("assemble", name));
            for (String m : members) {
                words.add(java.nio.file.Path.of(m).toAbsolutePath().toString());
            }
            return words;
        }
    }
}
