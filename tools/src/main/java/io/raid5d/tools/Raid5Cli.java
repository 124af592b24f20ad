package io.raid5d.tools;

import io.raid5d.daemon.config.ConfigException;
import io.raid5d.daemon.config.ConfigParser;
import io.raid5d.daemon.config.DaemonConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code raid5} command, in the spirit of mdadm. Offline verbs (create, examine,
 * examine-bitmap, check --offline) work on member files directly; the others talk to a
 * running raid5d over its control socket. Exit status 0 on success, otherwise one line on
 * stderr saying why and a non-zero status.
 */
@Command(name = "raid5", mixinStandardHelpOptions = true, version = "raid5d 0.1.0",
        scope = CommandLine.ScopeType.INHERIT, // every subcommand answers --help (and --version)
        description = "Create, inspect and control RAID-5 arrays in Linux md v1.2 format.",
        subcommands = {CreateCommand.class, ExamineCommand.class, ExamineBitmapCommand.class, CheckCommand.class,
                ControlCommands.Status.class, ControlCommands.Detail.class, ControlCommands.Stop.class,
                AssembleCommand.class, ControlCommands.Fail.class, ControlCommands.Remove.class, ControlCommands.Add.class,
                ControlCommands.ReAdd.class, ControlCommands.Repair.class, ControlCommands.Grow.class,
                ControlCommands.StripeCache.class, MonitorCommand.class, CommandLine.HelpCommand.class})
public final class Raid5Cli {
    static final Path DEFAULT_CONTROL = Path.of("/run/raid5d/control.sock");
    static final Path DEFAULT_CONFIG = Path.of("/etc/raid5d/raid5d.conf");

    @Option(names = "--control", paramLabel = "SOCKET",
            description = "raid5d control socket (default: CONTROL of the config file, else /run/raid5d/control.sock)")
    Path control;

    @Option(names = "--config", paramLabel = "FILE", description = "raid5d.conf to read (default: /etc/raid5d/raid5d.conf if it exists)")
    Path config;

    /** The configuration named by --config, else the default file if there is one, else none. */
    DaemonConfig config() throws ConfigException {
        if (config != null) {
            return ConfigParser.read(config);
        }
        return Files.isRegularFile(DEFAULT_CONFIG) ? ConfigParser.read(DEFAULT_CONFIG) : DaemonConfig.empty();
    }

    /** --control, else the configuration's CONTROL, else the default path. */
    Path controlSocket() throws ConfigException {
        if (control != null) {
            return control;
        }
        return config().control().orElse(DEFAULT_CONTROL);
    }

    public static void main(String[] args) {
        // the engine's own log lines (an offline grow's, say): warnings only, on one line, as a command prints them
        System.setProperty("java.util.logging.SimpleFormatter.format", "raid5: %4$s: %5$s%6$s%n");
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(null, null, args);
    }

    /** Runs the command line with its output to {@code out} and {@code err} (null: stdout, stderr). */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Raid5Cli());
        if (out != null) {
            cl.setOut(out);
        }
        if (err != null) {
            cl.setErr(err);
        }
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("raid5: " + oneLine(e));
            return e instanceof CheckCommand.MismatchesFound ? 1 : 2;
        });
        cl.setParameterExceptionHandler((e, args1) -> {
            PrintWriter errors = e.getCommandLine().getErr();
            errors.println("raid5: " + e.getMessage());
            errors.println("(see 'raid5 " + e.getCommandLine().getCommandName() + " --help')");
            return 2;
        });
        int status = cl.execute(args);
        cl.getOut().flush(); // print() output is not auto-flushed
        cl.getErr().flush();
        return status;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }
}
