package io.raid5d.daemon;

import io.raid5d.core.array.RaidArray;
import io.raid5d.daemon.array.ArrayControl;
import io.raid5d.daemon.control.ControlException;
import io.raid5d.daemon.control.ControlServer;
import io.raid5d.daemon.events.ArrayEvent;
import io.raid5d.daemon.events.EventBus;
import io.raid5d.daemon.events.EventType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The control socket's verbs, each a thin call into the array manager, an array's
 * {@link ArrayControl} or the event bus. Argument words are as {@code raid5} sends them.
 */
final class ControlVerbs {
    /** The first line of a monitor stream, so a client knows it is subscribed. */
    static final String MONITOR_HELLO = "monitoring";

    private final ArrayManager manager;
    private final EventBus events;
    private final ConfiguredAssembly configured;

    ControlVerbs(ArrayManager manager, EventBus events, ConfiguredAssembly configured) {
        this.manager = manager;
        this.events = events;
        this.configured = configured;
    }

    void registerAll(ControlServer server) {
        server.register("status", args -> {
            List<ArrayView> views = new ArrayList<>();
            manager.running().forEach(r -> views.add(r.view()));
            return ArrayReports.status(views);
        });
        server.register("detail", args -> {
            boolean json = args.remove("--json");
            ArrayView v = manager.running(onlyName(args)).view();
            return json ? List.of(ArrayReports.json(v)) : ArrayReports.detail(v);
        });
        server.register("stop", args -> {
            String name = onlyName(args);
            manager.stop(name);
            return List.of("stopped " + name);
        });
        server.register("assemble", args -> {
            boolean force = args.remove("--force"); // start a dirty degraded array despite the write hole
            if (args.size() < 2) {
                throw new ControlException("assemble wants [--force] NAME MEMBER...");
            }
            List<String> members = new ArrayList<>(args.subList(1, args.size()));
            RaidArray a = manager.assemble(args.get(0), members, configured.stripeCache(args.get(0)), force,
                    configured.bitmapFileFor(args.get(0)));
            List<String> out = new ArrayList<>();
            out.add("assembled " + a.name() + ": " + a.sizeBytes() + " bytes, " + a.status().state());
            out.addAll(configured.applySettings(a.name()));
            return out;
        });
        // a member the admin fails or removes is the admin's: the remote-member watch leaves it alone until
        // the admin adds or re-adds it
        server.register("fail", args -> memberVerb("fail", args, (c, m) -> {
            manager.heldByAdmin(args.get(0), m, true);
            c.fail(m);
        }));
        server.register("remove", args -> memberVerb("remove", args, (c, m) -> {
            manager.heldByAdmin(args.get(0), m, true);
            c.remove(m);
        }));
        server.register("add", args -> memberVerb("add", args, (c, m) -> {
            manager.heldByAdmin(args.get(0), m, false);
            c.add(m);
        }));
        server.register("re-add", args -> memberVerb("re-add", args, (c, m) -> {
            manager.heldByAdmin(args.get(0), m, false);
            c.reAdd(m);
        }));
        server.register("check", args -> {
            String name = onlyName(args);
            manager.running(name).control().check();
            return List.of("check started on " + name);
        });
        server.register("repair", args -> {
            String name = onlyName(args);
            manager.running(name).control().repair();
            return List.of("repair started on " + name);
        });
        server.register("grow", args -> {
            if (args.size() == 3 && args.get(1).equals("--raid-devices")) {
                int n;
                try {
                    n = Integer.parseInt(args.get(2));
                } catch (NumberFormatException e) {
                    throw new ControlException("grow --raid-devices wants a number, not " + args.get(2));
                }
                manager.running(args.get(0)).control().growMembers(n);
                return List.of("growing " + args.get(0) + " to " + n + " members (raid5 detail " + args.get(0)
                        + " shows the progress)");
            }
            if (args.size() == 3 && args.get(1).equals("--size")) {
                if (!args.get(2).equals("max")) {
                    throw new ControlException("grow --size takes max (the members' room), not " + args.get(2));
                }
                long size = manager.running(args.get(0)).control().growSize();
                return List.of(args.get(0) + " is now " + size + " bytes; the new rows resync in the background (raid5"
                        + " detail " + args.get(0) + "); clients that connect from now on see the new size");
            }
            if (args.size() != 3 || !args.get(1).equals("--bitmap")) {
                throw new ControlException("grow wants NAME --bitmap internal|none|FILE, NAME --raid-devices N, or NAME --size max");
            }
            manager.running(args.get(0)).control().growBitmap(args.get(2));
            return List.of("bitmap of " + args.get(0) + " is now " + args.get(2));
        });
        server.register("stripe-cache", args -> {
            if (args.size() == 1) {
                return List.of(String.valueOf(manager.running(args.get(0)).control().stripeCacheSize()));
            }
            if (args.size() != 2) {
                throw new ControlException("stripe-cache wants NAME [SIZE]");
            }
            int size = positive(args.get(1));
            manager.running(args.get(0)).control().setStripeCacheSize(size);
            return List.of("stripe cache of " + args.get(0) + " is now " + size);
        });
        server.registerStream("monitor", (args, out) -> {
            boolean test = args.remove("--test");
            if (!args.isEmpty()) {
                throw new ControlException("monitor takes only --test");
            }
            try (EventBus.Subscription sub = events.subscribe()) {
                out.line(MONITOR_HELLO);
                if (test) {
                    for (RunningArray r : manager.running()) {
                        out.line(String.join("\t", ArrayEvent.of(EventType.TEST_MESSAGE, r.name()).words()));
                    }
                }
                for (ArrayEvent e : manager.degradedNow()) { // as mdadm --monitor's first look at the arrays
                    out.line(String.join("\t", e.words()));
                }
                while (!out.clientGone() && !sub.ended()) {
                    ArrayEvent e = sub.next(250);
                    if (e != null) {
                        out.line(String.join("\t", e.words()));
                    }
                }
            }
        });
    }

    private interface MemberAction {
        void run(ArrayControl control, String member) throws ControlException;
    }

    private List<String> memberVerb(String verb, List<String> args, MemberAction action) throws ControlException {
        if (args.size() != 2) {
            throw new ControlException(verb + " wants NAME MEMBER");
        }
        action.run(manager.running(args.get(0)).control(), args.get(1));
        return List.of(verb + " " + args.get(1) + " on " + args.get(0) + ": done");
    }

    private static int positive(String text) throws ControlException {
        try {
            int v = Integer.parseInt(text);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ControlException("'" + text + "' is not a positive number");
    }

    static String onlyName(List<String> args) throws ControlException {
        if (args.size() != 1) {
            throw new ControlException("expected one array name, got " + args.size() + " arguments");
        }
        return args.get(0);
    }
}
