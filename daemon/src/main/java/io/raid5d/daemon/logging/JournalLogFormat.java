package io.raid5d.daemon.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event on stderr, level first ("INFO raid5d: ..."), no timestamp: journald
 * stamps lines itself. Stack traces follow on their own lines, indented.
 */
public final class JournalLogFormat extends Formatter {

    /** Replaces the root logger's handlers with one stderr handler in this format. */
    public static void install(Level level) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler(); // writes to System.err
        handler.setFormatter(new JournalLogFormat());
        handler.setLevel(level);
        root.addHandler(handler);
        root.setLevel(level);
    }

    @Override
    public String format(LogRecord r) {
        StringBuilder sb = new StringBuilder();
        sb.append(levelName(r.getLevel())).append(" raid5d: ").append(formatMessage(r)).append('\n');
        if (r.getThrown() != null) {
            StringWriter sw = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(sw));
            for (String line : sw.toString().split("\n")) {
                sb.append("    ").append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private static String levelName(Level level) {
        if (level.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (level.intValue() >= Level.WARNING.intValue()) {
            return "WARNING";
        }
        if (level.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }
}
