package io.raid5d.tools.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A raid5d.conf for an end-to-end test: ephemeral ports, the control socket in the test's directory. */
final class ServiceConfig {
    private ServiceConfig() {
    }

    static Path controlSocket(Path dir) {
        return dir.resolve("control.sock");
    }

    /** Writes dir/raid5d.conf with LISTEN 127.0.0.1:0, CONTROL dir/control.sock, then {@code lines}. */
    static Path write(Path dir, String... lines) throws IOException {
        StringBuilder sb = new StringBuilder("# written by a test\nLISTEN 127.0.0.1:0\nCONTROL " + controlSocket(dir) + "\n");
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        Path conf = dir.resolve("raid5d.conf");
        Files.writeString(conf, sb.toString());
        return conf;
    }

    static DaemonProcess start(Path dir, Path conf, java.util.Map<String, String> env) throws IOException, InterruptedException {
        return DaemonProcess.startWith(dir, controlSocket(dir), env, List.of("--config", conf.toString()));
    }

    /** The UUID `raid5 examine` prints for a member. */
    static String uuidOf(Path member) throws IOException, InterruptedException {
        String examine = Cmd.raid5("examine", member.toString()).requireOk().out();
        Matcher m = Pattern.compile("Array UUID : (\\S+)").matcher(examine);
        if (!m.find()) {
            throw new AssertionError("no Array UUID in:\n" + examine);
        }
        return m.group(1);
    }

    /** The port the daemon logged for its metrics endpoint. */
    static int metricsPort(DaemonProcess d) {
        Matcher m = Pattern.compile("serving metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(d.log());
        if (!m.find()) {
            throw new AssertionError("no metrics address in the log:\n" + d.log());
        }
        return Integer.parseInt(m.group(1));
    }
}
