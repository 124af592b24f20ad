package io.raid5d.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Every verb answers --help and `raid5 help VERB` with its usage, exit 0: the error texts send users there. */
class HelpTest {

    /** The verbs as picocli knows them: a verb added later is covered without touching this test. */
    static Stream<String> verbs() {
        return new CommandLine(new Raid5Cli()).getSubcommands().keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("verbs")
    void everyVerbAnswersHelp(String verb) {
        for (List<String> args : List.of(List.of(verb, "--help"), List.of(verb, "-h"), List.of("help", verb))) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = Raid5Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(0, status, args + ": " + err);
            assertTrue(out.toString().contains("Usage: raid5 " + verb + " "), args + " printed:\n" + out);
            assertEquals("", err.toString(), args.toString());
        }
    }

    @Test
    void aMissingRequiredOptionPointsAtHelpThatWorks() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Raid5Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), "create", "m0.img");
        assertEquals(2, status);
        assertTrue(err.toString().contains("(see 'raid5 create --help')"), err.toString());
    }

    @Test
    void bitmapChunkHelpSaysPlainNumbersAreKiB() {
        StringWriter out = new StringWriter();
        Raid5Cli.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "create", "--help");
        assertTrue(out.toString().contains("a plain number is KiB"), out.toString());
        assertEquals(64L * 1024, Sizes.parseBytes("64"), "what the help says");
    }
}
