package io.raid5d.daemon;

import io.raid5d.daemon.config.ConfigException;
import io.raid5d.daemon.config.ConfigParser;
import io.raid5d.daemon.config.DaemonConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/**
 * What the daemon runs with: the configuration file's settings with the command line's
 * options put over them, and the built-in defaults for what neither says.
 */
record DaemonSettings(DaemonConfig config, InetSocketAddress listen, Path control, Optional<InetSocketAddress> metrics,
                      int ioThreads, List<ArraySpec> cliArrays, Map<String, Path> bitmapFiles) {
    static final String DEFAULT_LISTEN = "127.0.0.1:10809";
    static final Path DEFAULT_CONTROL = Path.of("/run/raid5d/control.sock");
    static final int DEFAULT_IO_THREADS = 8;

    /** Any argument may be null (not given on the command line). */
    static DaemonSettings resolve(Path configFile, String listen, Path control, String metrics, Integer ioThreads,
                                  List<String> arrays) throws ConfigException {
        return resolve(configFile, listen, control, metrics, ioThreads, arrays, List.of());
    }

    /** {@code bitmaps}: the {@code --bitmap NAME=FILE} options (a file bitmap per array, given at assembly). */
    static DaemonSettings resolve(Path configFile, String listen, Path control, String metrics, Integer ioThreads,
                                  List<String> arrays, List<String> bitmaps) throws ConfigException {
        DaemonConfig config = configFile == null ? DaemonConfig.empty() : ConfigParser.read(configFile);
        String listenText = listen != null ? listen : config.listen().orElse(DEFAULT_LISTEN);
        Path controlPath = control != null ? control : config.control().orElse(DEFAULT_CONTROL);
        Optional<String> metricsText = metrics != null ? Optional.of(metrics).filter(m -> !m.equals("off")) : config.metrics();
        int threads = ioThreads != null ? ioThreads : config.ioThreads().orElse(DEFAULT_IO_THREADS);
        if (threads <= 0) {
            throw new IllegalArgumentException("--io-threads must be positive, got " + threads);
        }
        Map<String, Path> files = new TreeMap<>();
        for (String b : bitmaps) {
            Map.Entry<String, Path> e = ArraySpec.parseBitmap(b);
            if (files.put(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("--bitmap names array " + e.getKey() + " twice");
            }
        }
        List<ArraySpec> specs = new ArrayList<>();
        for (String a : arrays) {
            ArraySpec spec = ArraySpec.parse(a);
            specs.add(files.containsKey(spec.name()) ? spec.withBitmapFile(files.get(spec.name())) : spec);
        }
        for (String name : files.keySet()) {
            boolean known = specs.stream().anyMatch(s -> s.name().equals(name))
                    || config.arrays().stream().anyMatch(a -> a.name().equals(name));
            if (!known) {
                throw new IllegalArgumentException("--bitmap " + name + "=...: no --array or configured ARRAY is named " + name);
            }
        }
        return new DaemonSettings(config, Raid5Daemon.parseListen(listenText), controlPath,
                metricsText.map(m -> parseAddress("--metrics", m)), threads, List.copyOf(specs), Map.copyOf(files));
    }

    private static InetSocketAddress parseAddress(String what, String text) {
        try {
            return Raid5Daemon.parseListen(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("--listen", what), e);
        }
    }
}
