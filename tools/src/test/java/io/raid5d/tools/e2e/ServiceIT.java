package io.raid5d.tools.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.daemon.systemd.UnixDatagram;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * raid5d as systemd runs it: started from a config file with NOTIFY_SOCKET set, arrays found
 * by their superblocks, READY=1 once serving, queried over the control socket, metrics over
 * HTTP, then SIGTERM: STOPPING=1, exit 0, members clean and consistent.
 */
class ServiceIT {

    @Test
    void startsFromConfigNotifiesSystemdServesAndStopsClean(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "svc", 4, "64K", "32M");
        String uuid = ServiceConfig.uuidOf(members.get(0));
        Path conf = ServiceConfig.write(dir,
                "METRICS 127.0.0.1:0",
                "DEVICE " + dir + "/svc-m*.img",
                "ARRAY svc UUID=" + uuid);
        Path notify = dir.resolve("notify.sock");
        List<String> messages = new ArrayList<>();
        try (UnixDatagram systemd = UnixDatagram.bind(notify.toString());
             DaemonProcess d = ServiceConfig.start(dir, conf, Map.of("NOTIFY_SOCKET", notify.toString()))) {
            String ready = awaitMessage(systemd, "READY=1", messages);
            assertTrue(ready.contains("STATUS=svc: active"), ready);
            assertTrue(ready.contains("MAINPID="), ready);

            Cmd.Result status = d.raid5("status").requireOk();
            assertTrue(status.out().contains("svc : active raid5"), status.out());
            assertTrue(status.out().contains("[4/4] [UUUU]"), status.out());
            assertTrue(status.out().contains("bitmap: 1 pages [4KB], 65536KB chunk"), status.out());
            String json = d.raid5("detail", "svc", "--json").requireOk().out().strip();
            assertTrue(json.startsWith("{\"name\":\"svc\",\"uuid\":\"" + uuid + "\""), json);
            assertTrue(json.contains("\"raid_disks\":4") && json.contains("\"path\":\"" + members.get(3) + "\""), json);
            assertTrue(d.raid5("detail", "svc").requireOk().out().contains("UUID : " + uuid));

            byte[] data = new byte[8 << 20];
            new Random(3).nextBytes(data);
            Path in = dir.resolve("in.bin");
            Files.write(in, data);
            Cmd.run(Duration.ofMinutes(2), "nbdcopy", "--flush", in.toString(), d.uri("svc")).requireOk();

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ServiceConfig.metricsPort(d) + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(data.length, (long) metric(metrics, "raid5d_array_bytes_total{array=\"svc\",op=\"write\"}"), metrics);
            assertTrue(metric(metrics, "raid5d_array_requests_seconds_count{array=\"svc\",op=\"write\"}") > 0, metrics);
            assertTrue(metric(metrics, "raid5d_array_requests_seconds_count{array=\"svc\",op=\"flush\"}") >= 1, metrics);
            double rcw = metric(metrics, "raid5d_engine_writes_total{array=\"svc\",kind=\"reconstruct-write\"}");
            double rmw = metric(metrics, "raid5d_engine_writes_total{array=\"svc\",kind=\"read-modify-write\"}");
            assertTrue(rcw + rmw > 0, metrics);

            assertEquals(0, d.stop(), d.log());
            String stopping = awaitMessage(systemd, "STOPPING=1", messages);
            assertTrue(stopping.contains("STATUS=stopping"), stopping);
            assertTrue(d.log().contains("stopped cleanly"), d.log());
        }
        int ready = indexOf(messages, "READY=1");
        int stopping = indexOf(messages, "STOPPING=1");
        assertTrue(ready >= 0 && stopping > ready, "READY=1 then STOPPING=1: " + messages);
        for (Path m : members) {
            assertTrue(Cmd.raid5("examine", m.toString()).requireOk().out().contains("State : clean"), m.toString());
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    /** Receives notifications until one contains {@code key}; every message is kept in {@code all}. */
    static String awaitMessage(UnixDatagram socket, String key, List<String> all) throws Exception {
        for (int i = 0; i < 240; i++) {
            String m = socket.receive(4096, 500);
            if (m != null) {
                all.add(m);
                if (m.lines().anyMatch(key::equals)) {
                    return m;
                }
            }
        }
        throw new AssertionError("no " + key + " within 120 s; got " + all);
    }

    private static int indexOf(List<String> messages, String key) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).lines().anyMatch(key::equals)) {
                return i;
            }
        }
        return -1;
    }

    static double metric(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), "no " + series + " in metrics");
        String v = m.group(1);
        assertNotNull(v);
        return Double.parseDouble(v);
    }
}
