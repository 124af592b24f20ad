package io.raid5d.tools;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssembledMembers;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.resync.RowParityChecker;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code raid5 check --offline MEMBER...}: reads every row of a stopped array and counts parity
 * mismatches the way md's mismatch_cnt does (sectors, per 4 KiB block). Opens the members
 * read-only and changes nothing. Exit status 1 when mismatches are found.
 * {@code raid5 check NAME} asks the daemon to scrub a running array.
 */
@Command(name = "check", description = "Count parity mismatches: of a stopped array's members (--offline MEMBER...), "
        + "or start a scrub of a running array (NAME).")
final class CheckCommand implements Callable<Integer> {
    /** Mismatches found: the command worked, the array is not consistent. */
    static final class MismatchesFound extends Exception {
        private static final long serialVersionUID = 1L;

        MismatchesFound(String message) {
            super(message);
        }
    }

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    Raid5Cli parent;

    @Option(names = "--offline", description = "check member files of a stopped array directly")
    boolean offline;

    @Parameters(arity = "1..*", paramLabel = "MEMBER|NAME")
    List<String> members;

    @Override
    public Integer call() throws Exception {
        if (!offline) {
            if (members.size() != 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "check wants NAME (a running array) or --offline MEMBER...");
            }
            ControlClient.run(parent.controlSocket(), List.of("check", members.get(0)), spec.commandLine().getOut());
            return 0;
        }
        try (AssembledMembers am = ArrayAssembler.open(members, true)) {
            Geometry g = am.members().geometry();
            RowParityChecker checker = new RowParityChecker(am.members());
            long mismatched = 0;
            long badRows = 0;
            for (long row = 0; row < g.rowCount(); row++) {
                long m = checker.check(row, false);
                mismatched += m;
                badRows += m > 0 ? 1 : 0;
            }
            spec.commandLine().getOut().printf("checked %d stripes of %d x %d KiB chunks: %d mismatched sectors%n",
                    g.rowCount(), g.raidDisks(), g.chunkBytes() / 1024, mismatched);
            if (mismatched > 0) {
                throw new MismatchesFound("parity mismatches: " + mismatched + " sectors in " + badRows + " stripes");
            }
            return 0;
        }
    }
}
