package io.raid5d.daemon;

import io.raid5d.daemon.remote.RemoteMemberWatch;
import io.raid5d.nbd.client.ClientSettings;
import io.raid5d.remote.RemoteMemberSettings;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.daemon.control.ControlServer;
import io.raid5d.daemon.events.EventBus;
import io.raid5d.daemon.events.ResyncWatcher;
import io.raid5d.daemon.logging.JournalLogFormat;
import io.raid5d.daemon.metrics.MetricsHttpServer;
import io.raid5d.daemon.systemd.SdNotify;
import io.raid5d.daemon.systemd.WatchdogPinger;
import io.raid5d.nbd.NbdServer;
import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.transport.EventLoops;
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
 * The raid5d process: assembles the arrays named in the configuration file and on the command
 * line, serves each as the NBD export of its name, answers the control socket, serves metrics
 * when asked to, tells systemd (Type=notify) when it is ready and what state the arrays are in,
 * and on SIGTERM/SIGINT drains the NBD connections, flushes, marks every array clean and exits 0.
 */
@Command(name = "raid5d", mixinStandardHelpOptions = true, version = "raid5d 0.1.0",
        description = "Serve RAID-5 arrays (Linux md v1.2 members) over NBD.")
public final class Raid5Daemon implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(Raid5Daemon.class.getName());

    @Option(names = "--config", paramLabel = "FILE", description = "configuration file (raid5d.conf); options given here override it")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "NBD listen address (default: " + DaemonSettings.DEFAULT_LISTEN + ")")
    String listen;

    @Option(names = "--control", paramLabel = "SOCKET", description = "control socket path (default: /run/raid5d/control.sock)")
    Path control;

    @Option(names = "--metrics", paramLabel = "HOST:PORT|off", description = "serve Prometheus metrics over HTTP at HOST:PORT/metrics (default: off)")
    String metrics;

    @Option(names = "--array", paramLabel = "NAME=MEMBER,MEMBER,...",
            description = "assemble these members and serve them as export NAME (repeatable)")
    List<String> arrays = new ArrayList<>();

    @Option(names = "--bitmap", paramLabel = "NAME=FILE",
            description = "array NAME keeps its write-intent bitmap in FILE (made by 'raid5 create --bitmap FILE'; repeatable)")
    List<String> bitmaps = new ArrayList<>();

    @Option(names = "--io-threads", paramLabel = "N", description = "member I/O threads per array (default: " + DaemonSettings.DEFAULT_IO_THREADS + ")")
    Integer ioThreads;

    @Option(names = "--force-assemble", description = "start arrays that are dirty AND degraded (refused otherwise: the RAID-5"
            + " write hole can make the missing member's data in stripes written at the crash silently wrong)")
    boolean forceAssemble;

    @Option(names = "--sync-speed-min", paramLabel = "KiB/s", description = "rebuild/check speed while the array serves I/O"
            + " (md's sync_speed_min, default 1000)")
    long syncSpeedMin = 1000;

    @Option(names = "--sync-speed-max", paramLabel = "KiB/s", description = "rebuild/check speed when idle"
            + " (md's sync_speed_max, default 200000; 0 = unlimited)")
    long syncSpeedMax = 200000;

    @Option(names = "--max-read-errors", paramLabel = "N", description = "fail a member once it has had more than N read"
            + " errors, halved for every hour without one (md's max_corrected_read_errors; default: the config's"
            + " MAX_READ_ERRORS, else 20); below that each is repaired by rewriting the block")
    Integer maxReadErrors;

    @Option(names = "--member-timeout", paramLabel = "SECONDS",
            description = "a remote (nbd://) member whose server leaves a request unanswered this long is failed, as a disk"
                    + " with an I/O error is; the array goes on degraded (default: ${DEFAULT-VALUE}, as the kernel's nbd driver)")
    long memberTimeoutSeconds = 30;

    @Option(names = "--member-connections", paramLabel = "N",
            description = "connections per remote member whose server offers multi-conn (NBD_FLAG_CAN_MULTI_CONN), requests"
                    + " spread over them, for links where one TCP stream is the limit (default: ${DEFAULT-VALUE}: on one"
                    + " machine 2 measured no faster; 1 where the server does not offer it)")
    int memberConnections = 1;

    @Option(names = "--member-connect-timeout", paramLabel = "SECONDS",
            description = "how long connecting to a remote member, its TLS and NBD handshake included, may take (default: ${DEFAULT-VALUE})")
    long memberConnectTimeoutSeconds = 10;

    @Option(names = "--direct-io", paramLabel = "auto|on|off", description = "members bypass the page cache (O_DIRECT):"
            + " auto (default: the config's DIRECT_IO, else auto) for block devices, as md; on for member files too; off for none")
    String directIo;

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
        DaemonSettings settings = DaemonSettings.resolve(configFile, listen, control, metrics, ioThreads, arrays, bitmaps);
        InetSocketAddress bind = settings.listen();
        // before anything is assembled: a bad --transport, TLS file or limit is an error at once
        NbdServerConfig nbdConfig = nbdOptions.config(settings.config().transport());
        EventLoops.resolve(nbdConfig.transport());
        ShutdownSignals signals = new ShutdownSignals();
        signals.install();

        SdNotify systemd = SdNotify.fromEnvironment();
        EventBus events = new EventBus();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MutableExportRegistry exports = new MutableExportRegistry();
        ArrayManager manager = new ArrayManager(exports, settings.ioThreads(), events, meters);
        manager.setForceAssemble(forceAssemble);
        manager.setAutoReAdd(settings.config().autoReAdd());
        int readErrorLimit = maxReadErrors != null ? maxReadErrors
                : settings.config().maxReadErrors().orElse(ArrayOptions.DEFAULT_MAX_READ_ERRORS);
        if (readErrorLimit < 0) {
            throw new IllegalArgumentException("--max-read-errors wants 0 or more, got " + readErrorLimit);
        }
        manager.setMaxReadErrors(readErrorLimit);
        manager.setDirectIo(DirectIoMode.parse(
                directIo != null ? directIo : settings.config().directIo().orElse("auto")));
        manager.setSyncSpeed(syncSpeedMin, syncSpeedMax);
        if (memberTimeoutSeconds < 1 || memberConnectTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--member-timeout and --member-connect-timeout want 1 second or more");
        }
        if (memberConnections < 1 || memberConnections > 16) {
            throw new IllegalArgumentException("--member-connections wants 1 to 16, got " + memberConnections);
        }
        RemoteMemberSettings.setConnections(memberConnections);
        RemoteMemberSettings.set(ClientSettings.defaults().withRequestTimeout(Duration.ofSeconds(memberTimeoutSeconds))
                .withConnectTimeout(Duration.ofSeconds(memberConnectTimeoutSeconds)));
        ScheduledExecutorService remoteWatch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raid5d-remote-watch");
            t.setDaemon(true);
            return t;
        });
        ConfiguredAssembly configured = new ConfiguredAssembly(settings.config(), manager, settings.bitmapFiles());
        ControlServer controlServer = new ControlServer(settings.control());
        StatusTicker ticker = new StatusTicker(manager, new ResyncWatcher(events), systemd);
        WatchdogPinger watchdog = null;
        MetricsHttpServer metricsServer = null;
        NbdServer nbd = null;
        try {
            for (ArraySpec spec : settings.cliArrays()) {
                manager.assemble(spec.name(), spec.members(), configured.stripeCache(spec.name()), false, spec.bitmapFile());
                configured.applySettings(spec.name()).forEach(LOG::warning);
            }
            List<String> missing = configured.assembleAll(settings.config().memberWaitSeconds(), signals::awaitFor,
                    systemd::status);
            new ControlVerbs(manager, events, configured).registerAll(controlServer);
            controlServer.start();
            if (settings.metrics().isPresent()) {
                metricsServer = MetricsHttpServer.start(settings.metrics().get(), meters);
                LOG.info("serving metrics on http://" + metricsServer.address().getHostString() + ":"
                        + metricsServer.address().getPort() + "/metrics");
            }
            nbd = new NbdServer(nbdOptions.exports(exports), nbdConfig);
            InetSocketAddress bound = nbd.start(bind);
            LOG.info("serving NBD on " + bound.getHostString() + ":" + bound.getPort() + ", control socket " + settings.control());
            ticker.start();
            RemoteMemberWatch watch = new RemoteMemberWatch(manager::watched, manager::autoReAdd);
            remoteWatch.scheduleWithFixedDelay(watch::tick, 1, 1, TimeUnit.SECONDS);
            watchdog = WatchdogPinger.start(systemd, System.getenv());
            systemd.ready(readyStatus(manager, missing));
            String why = signals.await();
            LOG.info(why + ": stopping (draining NBD connections, then marking arrays clean)");
            systemd.stopping("stopping: draining and marking arrays clean");
        } catch (Exception e) {
            remoteWatch.shutdownNow();
            closeQuietly(nbd, controlServer, manager);
            close(ticker, watchdog, metricsServer, events, systemd);
            throw e;
        }
        remoteWatch.shutdownNow();
        nbd.close();
        controlServer.close();
        ticker.close();
        manager.stopAll();
        close(watchdog, metricsServer, events, systemd);
        // Closing the event bus ends every monitor stream; let each send its OK before exit.
        if (!controlServer.awaitStreams(5_000)) {
            LOG.warning("a monitor connection did not end within 5 s of stopping");
        }
        LOG.info("stopped cleanly");
        return 0;
    }

    private static String readyStatus(ArrayManager manager, List<String> missing) {
        List<ArrayView> all = new ArrayList<>();
        manager.running().forEach(a -> all.add(a.view()));
        String s = StatusTicker.summaryOf(all);
        return missing.isEmpty() ? s : s + "; NOT assembled: " + String.join(", ", missing);
    }

    private static void close(AutoCloseable... things) {
        for (AutoCloseable c : things) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + c + " failed", e);
            }
        }
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
