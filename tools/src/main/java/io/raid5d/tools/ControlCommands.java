package io.raid5d.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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
            ControlClient.run(parent.controlSocket(), request(), spec.commandLine().getOut());
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
        @Option(names = "--json", description = "one JSON object, for scripts")
        boolean json;

        @Override
        List<String> request() {
            return json ? List.of("detail", name, "--json") : List.of("detail", name);
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

    /** A verb on one member of one array. */
    abstract static class MemberVerb extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "MEMBER")
        String member;

        abstract String verb();

        /** Devices being added are named by absolute path; members already in the array as given. */
        boolean absolute() {
            return false;
        }

        @Override
        List<String> request() {
            return List.of(verb(), name, absolute() ? io.raid5d.core.member.MemberDevices.canonicalName(member) : member);
        }
    }

    @Command(name = "fail", description = "Mark a member faulty (the array runs degraded).")
    static final class Fail extends MemberVerb {
        @Override
        String verb() {
            return "fail";
        }
    }

    @Command(name = "remove", description = "Remove a faulty or spare member from the array.")
    static final class Remove extends MemberVerb {
        @Override
        String verb() {
            return "remove";
        }
    }

    @Command(name = "add", description = "Add a device: rebuilt into the missing slot of a degraded array, else kept as an idle hot spare.")
    static final class Add extends MemberVerb {
        @Override
        String verb() {
            return "add";
        }

        @Override
        boolean absolute() {
            return true;
        }
    }

    @Command(name = "re-add", description = "Re-add a recently removed member; only what the bitmap marks is resynced.")
    static final class ReAdd extends MemberVerb {
        @Override
        String verb() {
            return "re-add";
        }

        @Override
        boolean absolute() {
            return true;
        }
    }

    @Command(name = "repair", description = "Scrub a running array, rewriting wrong parity (like md's repair).")
    static final class Repair extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        List<String> request() {
            return List.of("repair", name);
        }
    }

    @Command(name = "grow", description = "Change a running array: add, remove or move its write-intent bitmap.")
    static final class Grow extends Base {
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--bitmap", required = true, paramLabel = "internal|none|FILE")
        String bitmap;

        @Override
        List<String> request() {
            String b = bitmap.equals("internal") || bitmap.equals("none") ? bitmap
                    : java.nio.file.Path.of(bitmap).toAbsolutePath().toString();
            return List.of("grow", name, "--bitmap", b);
        }
    }

    @Command(name = "stripe-cache", description = "Show or set an array's stripe cache size (entries, like md's stripe_cache_size).")
    static final class StripeCache extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE")
        Integer size;

        @Override
        List<String> request() {
            List<String> w = new ArrayList<>(List.of("stripe-cache", name));
            if (size != null) {
                w.add(String.valueOf(size));
            }
            return w;
        }
    }
}
