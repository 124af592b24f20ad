package io.raid5d.daemon.config;

import io.raid5d.nbd.transport.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads raid5d.conf, a file in the spirit of mdadm.conf: one keyword per line followed by
 * words; {@code #} starts a comment; a line that begins with white space continues the line
 * before it. Keywords (case-insensitive):
 *
 * <pre>
 * LISTEN HOST:PORT              NBD listen address
 * CONTROL PATH                  control socket
 * METRICS HOST:PORT             serve Prometheus metrics over HTTP here (off when absent)
 * IO_THREADS N                  member I/O threads per array
 * DEVICE PATTERN...             where to look for members (paths or globs), for ARRAY lines without devices=
 * BITMAP internal|none|FILE     default bitmap of the arrays
 * STRIPE_CACHE N                default stripe cache size of the arrays
 * MEMBER_WAIT SECONDS           at start, wait this long for missing members of a configured array
 *                               before starting it degraded (default 30, like mdadm's last-resort timer; 0 = no wait)
 * MAX_READ_ERRORS N             md's max_corrected_read_errors: a member past N read errors (halved for
 *                               every hour without one) is failed instead of repaired (default 20)
 * DIRECT_IO auto|on|off         members bypass the page cache: block devices (auto, the default), files too, none
 * TRANSPORT auto|epoll|io_uring|nio  the NBD server's socket transport (auto: epoll where it loads, else nio)
 * POLICY action=re-add|incremental   re-add (default): a member assembly left out because it was only absent
 *                               is re-added at once through the bitmap; incremental: it waits for an admin
 * ARRAY NAME [UUID=..] [devices=P,P..] [bitmap=..] [stripe_cache=N]
 * </pre>
 *
 * An ARRAY needs a UUID or is matched by its md name; without a UUID the md name must be NAME.
 */
public final class ConfigParser {
    private static final Pattern UUID = Pattern.compile("\\p{XDigit}{8}(:\\p{XDigit}{8}){3}");

    private ConfigParser() {
    }

    public static DaemonConfig read(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such configuration file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file, text);
    }

    public static DaemonConfig parse(Path source, String text) throws ConfigException {
        Builder b = new Builder(source);
        List<String> logical = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = stripComment(lines[i]);
            if (line.isBlank()) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0))) {
                if (logical.isEmpty()) {
                    throw new ConfigException(where(source, i + 1) + "continuation line without a keyword line before it");
                }
                int last = logical.size() - 1;
                logical.set(last, logical.get(last) + " " + line.strip());
            } else {
                logical.add(line.strip());
                lineNumbers.add(i + 1);
            }
        }
        for (int i = 0; i < logical.size(); i++) {
            b.line(lineNumbers.get(i), logical.get(i).split("\\s+"));
        }
        return b.build();
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash >= 0 ? line.substring(0, hash) : line;
    }

    private static String where(Path source, int line) {
        return (source == null ? "config" : source.toString()) + ":" + line + ": ";
    }

    /** Collects settings line by line; each keyword but DEVICE and ARRAY may appear once. */
    private static final class Builder {
        private final Path source;
        private final Set<String> seen = new HashSet<>();
        private final Set<String> names = new HashSet<>();
        private Optional<String> listen = Optional.empty();
        private Optional<Path> control = Optional.empty();
        private Optional<String> metrics = Optional.empty();
        private OptionalInt ioThreads = OptionalInt.empty();
        private Optional<String> bitmap = Optional.empty();
        private OptionalInt stripeCache = OptionalInt.empty();
        private OptionalInt memberWait = OptionalInt.empty();
        private OptionalInt maxReadErrors = OptionalInt.empty();
        private Optional<String> directIo = Optional.empty();
        private Optional<String> transport = Optional.empty();
        private Optional<String> policyAction = Optional.empty();
        private final List<String> devices = new ArrayList<>();
        private final List<ArrayEntry> arrays = new ArrayList<>();
        private int lineNo;

        Builder(Path source) {
            this.source = source;
        }

        void line(int lineNo, String[] words) throws ConfigException {
            this.lineNo = lineNo;
            String keyword = words[0].toUpperCase(Locale.ROOT);
            List<String> args = List.of(words).subList(1, words.length);
            if (!keyword.equals("DEVICE") && !keyword.equals("ARRAY") && !seen.add(keyword)) {
                throw error(keyword + " given twice");
            }
            switch (keyword) {
                case "LISTEN" -> listen = Optional.of(hostPort(keyword, one(keyword, args)));
                case "CONTROL" -> control = Optional.of(Path.of(one(keyword, args)));
                case "METRICS" -> metrics = Optional.of(hostPort(keyword, one(keyword, args)));
                case "IO_THREADS" -> ioThreads = OptionalInt.of(positive(keyword, one(keyword, args)));
                case "BITMAP" -> bitmap = Optional.of(one(keyword, args));
                case "STRIPE_CACHE" -> stripeCache = OptionalInt.of(positive(keyword, one(keyword, args)));
                case "MEMBER_WAIT" -> memberWait = OptionalInt.of(nonNegative(keyword, one(keyword, args)));
                case "POLICY" -> policyAction = Optional.of(policy(args));
                case "DIRECT_IO" -> directIo = Optional.of(directIo(one(keyword, args)));
                case "TRANSPORT" -> transport = Optional.of(transport(one(keyword, args)));
                case "MAX_READ_ERRORS" -> maxReadErrors = OptionalInt.of(nonNegativeCount(keyword, one(keyword, args)));
                case "DEVICE" -> {
                    if (args.isEmpty()) {
                        throw error("DEVICE wants one or more paths or globs");
                    }
                    devices.addAll(args);
                }
                case "ARRAY" -> arrays.add(array(args));
                default -> throw error("unknown keyword '" + words[0]
                        + "' (known: LISTEN, CONTROL, METRICS, IO_THREADS, DEVICE, BITMAP, STRIPE_CACHE, MEMBER_WAIT,"
                        + " MAX_READ_ERRORS, DIRECT_IO, TRANSPORT, POLICY, ARRAY)");
            }
        }

        private ArrayEntry array(List<String> args) throws ConfigException {
            if (args.isEmpty() || args.get(0).contains("=")) {
                throw error("ARRAY wants a name first: ARRAY NAME [UUID=...] [devices=...]");
            }
            String name = args.get(0);
            if (name.length() > 255 || name.chars().anyMatch(c -> c < 0x20 || c == '/')) {
                throw error("'" + name + "' is not a usable array name");
            }
            if (!names.add(name)) {
                throw error("array " + name + " is configured twice");
            }
            Optional<String> uuid = Optional.empty();
            List<String> devs = new ArrayList<>();
            Optional<String> bm = Optional.empty();
            OptionalInt sc = OptionalInt.empty();
            for (String word : args.subList(1, args.size())) {
                int eq = word.indexOf('=');
                if (eq <= 0) {
                    throw error("ARRAY " + name + ": '" + word + "' is not KEY=VALUE");
                }
                String key = word.substring(0, eq).toLowerCase(Locale.ROOT);
                String value = word.substring(eq + 1);
                if (value.isEmpty()) {
                    throw error("ARRAY " + name + ": " + key + "= has no value");
                }
                switch (key) {
                    case "uuid" -> {
                        if (!UUID.matcher(value).matches()) {
                            throw error("ARRAY " + name + ": UUID " + value + " is not in mdadm's form xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx");
                        }
                        uuid = Optional.of(value.toLowerCase(Locale.ROOT));
                    }
                    case "devices" -> {
                        for (String d : value.split(",")) {
                            if (d.isEmpty()) {
                                throw error("ARRAY " + name + ": empty entry in devices=" + value);
                            }
                            devs.add(d);
                        }
                    }
                    case "bitmap" -> bm = Optional.of(value);
                    case "stripe_cache" -> sc = OptionalInt.of(positive("stripe_cache", value));
                    default -> throw error("ARRAY " + name + ": unknown setting '" + key
                            + "' (known: UUID, devices, bitmap, stripe_cache)");
                }
            }
            return new ArrayEntry(name, uuid, List.copyOf(devs), bm, sc);
        }

        /** mdadm's POLICY line, of which raid5d knows the action: re-add or incremental. */
        private String policy(List<String> args) throws ConfigException {
            String action = null;
            for (String word : args) {
                int eq = word.indexOf('=');
                String key = eq <= 0 ? word : word.substring(0, eq).toLowerCase(Locale.ROOT);
                if (!key.equals("action") || eq == word.length() - 1) {
                    throw error("POLICY: '" + word + "' is not understood (raid5d knows action=re-add and action=incremental)");
                }
                action = word.substring(eq + 1).toLowerCase(Locale.ROOT);
                if (!action.equals("re-add") && !action.equals("incremental")) {
                    throw error("POLICY: action=" + action + " is not supported (re-add or incremental)");
                }
            }
            if (action == null) {
                throw error("POLICY wants action=re-add or action=incremental");
            }
            return action;
        }

        private String directIo(String value) throws ConfigException {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("auto") && !v.equals("on") && !v.equals("off")) {
                throw error("DIRECT_IO wants auto, on or off, got '" + value + "'");
            }
            return v;
        }

        private String transport(String value) throws ConfigException {
            try {
                return Transport.parse(value).label();
            } catch (IllegalArgumentException e) {
                throw error("TRANSPORT wants auto, epoll, io_uring or nio, got '" + value + "'");
            }
        }

        private int nonNegativeCount(String keyword, String value) throws ConfigException {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error
            }
            throw error(keyword + " wants a count (0 or more), got '" + value + "'");
        }

        private int nonNegative(String keyword, String value) throws ConfigException {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error
            }
            throw error(keyword + " wants a number of seconds (0 or more), got '" + value + "'");
        }

        private String one(String keyword, List<String> args) throws ConfigException {
            if (args.size() != 1) {
                throw error(keyword + " wants exactly one value, got " + args.size());
            }
            return args.get(0);
        }

        private String hostPort(String keyword, String value) throws ConfigException {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || !value.substring(colon + 1).matches("\\d{1,5}")
                    || Integer.parseInt(value.substring(colon + 1)) > 65535) {
                throw error(keyword + " wants HOST:PORT, got '" + value + "'");
            }
            return value;
        }

        private int positive(String keyword, String value) throws ConfigException {
            try {
                int v = Integer.parseInt(value);
                if (v > 0) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw error(keyword + " wants a positive number, got '" + value + "'");
        }

        private ConfigException error(String message) {
            return new ConfigException(where(source, lineNo) + message);
        }

        DaemonConfig build() {
            return new DaemonConfig(source, listen, control, metrics, ioThreads, List.copyOf(devices), bitmap,
                    stripeCache, List.copyOf(arrays), memberWait, policyAction, maxReadErrors, directIo, transport);
        }
    }
}
