package io.raid5d.daemon;

import io.raid5d.core.array.RaidArray;
import io.raid5d.daemon.control.ControlException;
import io.raid5d.daemon.control.ControlServer;
import io.raid5d.daemon.logging.JournalLogFormat;
import io.raid5d.nbd.NbdServer;
import io.raid5d.nbd.export.MutableExportRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The raid5d process: assembles the arrays named on the command line, serves each as the NBD
 * export of its name, answers the control socket, and on SIGTERM/SIGINT drains the NBD
 * connections, flushes, marks every array clean and exits 0.
 */
@Command(name = "raid5d", mixinStandardHelpOptions = true, version = "raid5d 0.1.0",
        description = "Serve RAID-5 arrays (Linux md v1.2 members) over NBD.")
public final class Raid5Daemon implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(Raid5Daemon.class.getName());

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "NBD listen address (default: ${DEFAULT-VALUE})")
    String listen = "127.0.0.1:10809";

    @Option(names = "--control", paramLabel = "SOCKET", description = "control socket path (default: ${DEFAULT-VALUE})")
    Path control = Path.of("/run/raid5d/control.sock");

    @Option(names = "--array", paramLabel = "NAME=MEMBER,MEMBER,...",
            description = "assemble these members and serve them as export NAME (repeatable)")
    List<String> arrays = new ArrayList<>();

    @Option(names = "--io-threads", paramLabel = "N", description = "member I/O threads per array (default: ${DEFAULT-VALUE})")
    int ioThreads = 8;

    @Mixin
    NbdServeOptions nbdOptions = new NbdServeOptions();

    public static void main(String[] args) {
        JournalLogFormat.install(Level.INFO);
        CommandLine cl = new CommandLine(new Raid5Daemon());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            c.getErr().println("raid5d: " + m.replace('\n', ' '));
            LOG.log(Level.FINE, "startup failed", e);
            return 1;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        InetSocketAddress bind = parseListen(listen);
        List<ArraySpec> specs = new ArrayList<>();
        for (String a : arrays) {
            specs.add(ArraySpec.parse(a));
        }
        ShutdownSignals signals = new ShutdownSignals();
        signals.install();

        MutableExportRegistry exports = new MutableExportRegistry();
        ArrayManager manager = new ArrayManager(exports, ioThreads);
        ControlServer controlServer = new ControlServer(control);
        NbdServer nbd = null;
        try {
            for (ArraySpec spec : specs) {
                manager.assemble(spec.name(), spec.members());
            }
            registerControl(controlServer, manager);
            controlServer.start();
            nbd = new NbdServer(nbdOptions.exports(exports), nbdOptions.config());
            InetSocketAddress bound = nbd.start(bind);
            LOG.info("serving NBD on " + bound.getHostString() + ":" + bound.getPort() + ", control socket " + control);
            String why = signals.await();
            LOG.info(why + ": stopping (draining NBD connections, then marking arrays clean)");
        } catch (Exception e) {
            closeQuietly(nbd, controlServer, manager);
            throw e;
        }
        nbd.close();
        controlServer.close();
        manager.stopAll();
        LOG.info("stopped cleanly");
        return 0;
    }

    private static void closeQuietly(NbdServer nbd, ControlServer control, ArrayManager manager) {
        try {
            if (nbd != null) {
                nbd.close();
            }
            control.close();
            manager.stopAll();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cleanup after a failed start also failed", e);
        }
    }

    private static void registerControl(ControlServer server, ArrayManager manager) {
        server.register("status", args -> {
            List<io.raid5d.core.array.ArrayStatus> all = new ArrayList<>();
            for (RaidArray a : manager.all()) {
                all.add(a.status());
            }
            return ArrayReports.status(all);
        });
        server.register("detail", args -> ArrayReports.detail(manager.get(onlyName(args)).status()));
        server.register("stop", args -> {
            String name = onlyName(args);
            manager.stop(name);
            return List.of("stopped " + name);
        });
        server.register("assemble", args -> {
            if (args.size() < 2) {
                throw new ControlException("assemble wants NAME MEMBER...");
            }
            List<Path> members = new ArrayList<>();
            args.subList(1, args.size()).forEach(m -> members.add(Path.of(m)));
            RaidArray a = manager.assemble(args.get(0), members);
            return List.of("assembled " + a.name() + ": " + a.sizeBytes() + " bytes, " + a.status().state());
        });
    }

    private static String onlyName(List<String> args) throws ControlException {
        if (args.size() != 1) {
            throw new ControlException("expected one array name, got " + args.size() + " arguments");
        }
        return args.get(0);
    }

    static InetSocketAddress parseListen(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen wants HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen: '" + text.substring(colon + 1) + "' is not a port number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--listen: port " + port + " is out of range");
        }
        return new InetSocketAddress(host, port);
    }
}
