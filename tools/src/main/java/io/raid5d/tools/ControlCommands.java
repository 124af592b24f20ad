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

    @Command(name = "grow", description = "Change an array: add, remove or move the write-intent bitmap of a running array"
            + " (NAME --bitmap); grow a running array onto its idle spares while it serves (NAME --raid-devices N, after"
            + " 'raid5 add'), or a stopped one (--offline --raid-devices N MEMBER... SPARE...); in md's reshape format: the"
            + " kernel's md can finish a grow raid5d was stopped in, and the other way round.")
    static final class Grow extends Base {
        @Parameters(paramLabel = "NAME|DEVICE", arity = "1..*",
                description = "the running array's name; with --offline, the members in role order, then the spares that join")
        List<String> names;
        @Option(names = "--bitmap", paramLabel = "internal|none|FILE")
        String bitmap;
        @Option(names = {"-n", "--raid-devices"}, paramLabel = "N", description = "the number of members after the grow")
        Integer raidDevices;
        @Option(names = {"-z", "--size"}, paramLabel = "max", description = "with NAME: use all the room the members have"
                + " (after they were replaced by bigger ones); the new rows resync in the background")
        String size;
        @Option(names = "--offline", description = "the array is stopped: grow its members here (resumes a grow recorded on them)")
        boolean offline;
        @Option(names = "--speed-max", paramLabel = "KiB/s", description = "with --offline: KiB per second written to each member"
                + " (md's sync_speed_max; default 0 = as fast as the members go)")
        long speedMax;

        @Override
        public Integer call() throws Exception {
            if (!offline) {
                int asked = (bitmap == null ? 0 : 1) + (raidDevices == null ? 0 : 1) + (size == null ? 0 : 1);
                if (names.size() != 1 || asked != 1) {
                    throw new IllegalArgumentException("grow NAME --bitmap internal|none|FILE, grow NAME --raid-devices N,"
                            + " grow NAME --size max, or grow --offline --raid-devices N MEMBER... SPARE...");
                }
                return super.call();
            }
            if (raidDevices == null || bitmap != null || size != null) {
                throw new IllegalArgumentException("grow --offline wants --raid-devices N and the devices, not --bitmap or --size");
            }
            if (raidDevices != names.size()) {
                throw new IllegalArgumentException("--raid-devices " + raidDevices + " but " + names.size()
                        + " devices were named: give the members in role order, then the spares that join");
            }
            List<io.raid5d.core.member.MemberDevice> devices = new java.util.ArrayList<>();
            try {
                for (String n : names) {
                    devices.add(io.raid5d.core.member.MemberDevices.open(n, false));
                }
                io.raid5d.core.grow.OfflineGrow.Result r = new io.raid5d.core.grow.OfflineGrow(devices).speedLimit(speedMax).run();
                spec.commandLine().getOut().printf("raid5: %s from %d to %d members (%d steps%s)%n",
                        r.startedAtSector() > 0 ? "grow resumed and finished" : "grown", r.fromDisks(), r.toDisks(), r.steps(),
                        r.startedAtSector() > 0 ? ", resumed at array sector " + r.startedAtSector() : "");
                return 0;
            } catch (io.raid5d.core.grow.GrowException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            } finally {
                for (io.raid5d.core.member.MemberDevice d : devices) {
                    d.close();
                }
            }
        }

        @Override
        List<String> request() {
            if (raidDevices != null) {
                return List.of("grow", names.get(0), "--raid-devices", String.valueOf(raidDevices));
            }
            if (size != null) {
                return List.of("grow", names.get(0), "--size", size);
            }
            String b = bitmap.equals("internal") || bitmap.equals("none") ? bitmap
                    : java.nio.file.Path.of(bitmap).toAbsolutePath().toString();
            return List.of("grow", names.get(0), "--bitmap", b);
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
