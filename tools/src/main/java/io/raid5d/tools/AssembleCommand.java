package io.raid5d.tools;

import io.raid5d.core.member.MemberDevices;
import io.raid5d.daemon.config.DaemonConfig;
import io.raid5d.daemon.config.ConfigParser;
import io.raid5d.daemon.scan.ConfiguredArrays;
import io.raid5d.daemon.scan.FoundArray;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code raid5 assemble NAME MEMBER...} asks the daemon to assemble those members;
 * {@code raid5 assemble --scan} finds the configured arrays' members by reading superblocks
 * (devices= or DEVICE patterns of the config file) and asks the daemon to assemble each one
 * not yet running; with {@code --dry-run} it only prints what it found, as ARRAY lines.
 */
@Command(name = "assemble", description = "Assemble an array from its members (or --scan the configured ones) and serve it.")
final class AssembleCommand implements Callable<Integer> {
    @ParentCommand
    Raid5Cli parent;
    @Spec
    CommandSpec spec;

    @Option(names = "--scan", description = "find the members of the arrays in the config file by their superblocks")
    boolean scan;
    @Option(names = "--config", paramLabel = "FILE", description = "config file for --scan (default: raid5's --config, else /etc/raid5d/raid5d.conf)")
    Path config;
    @Option(names = "--dry-run", description = "with --scan: print what was found, assemble nothing")
    boolean dryRun;
    @Option(names = "--force", description = "start the array even if it is dirty and degraded (the RAID-5 write hole:"
            + " the missing member's data in stripes written at the crash may come back wrong)")
    boolean force;
    @Parameters(arity = "0..*", paramLabel = "NAME MEMBER...")
    List<String> words = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!scan) {
            if (words.size() < 2 || dryRun || config != null) {
                throw new ParameterException(spec.commandLine(),
                        "assemble wants NAME MEMBER... (or --scan [--config FILE] [--dry-run])");
            }
            List<String> request = new ArrayList<>(List.of("assemble"));
            if (force) {
                request.add("--force");
            }
            request.add(words.get(0));
            for (String m : words.subList(1, words.size())) {
                request.add(MemberDevices.canonicalName(m));
            }
            ControlClient.run(parent.controlSocket(), request, spec.commandLine().getOut());
            return 0;
        }
        if (!words.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "assemble --scan takes no names or members");
        }
        DaemonConfig cfg = config != null ? ConfigParser.read(config) : parent.config();
        if (cfg.arrays().isEmpty()) {
            throw new IOException("no ARRAY lines in " + (cfg.source() == null ? "the configuration (none found; use --config)" : cfg.source()));
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path socket = config != null ? cfg.control().orElse(parent.controlSocket()) : parent.controlSocket();
        if (parent.control != null) {
            socket = parent.control;
        }
        List<String> failed = new ArrayList<>();
        for (ConfiguredArrays.Resolution r : ConfiguredArrays.resolve(cfg)) {
            String name = r.entry().name();
            if (!r.ok()) {
                err.println("raid5: " + name + ": " + r.problem());
                failed.add(name);
                continue;
            }
            FoundArray f = r.found().get();
            if (dryRun) {
                List<String> paths = f.members();
                out.println("ARRAY " + name + " UUID=" + f.uuid() + " name=" + f.mdName() + " raid-devices=" + f.raidDisks()
                        + " devices=" + String.join(",", paths));
                continue;
            }
            List<String> request = new ArrayList<>(List.of("assemble"));
            if (force) {
                request.add("--force");
            }
            request.add(name);
            f.members().forEach(p -> request.add(MemberDevices.canonicalName(p)));
            try {
                ControlClient.run(socket, request, out);
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).contains("is already running")) {
                    out.println(name + ": already running");
                } else {
                    err.println("raid5: " + name + ": " + e.getMessage());
                    failed.add(name);
                }
            }
        }
        out.flush();
        err.flush();
        if (!failed.isEmpty()) {
            throw new IOException("not assembled: " + String.join(", ", failed));
        }
        return 0;
    }
}
