package io.raid5d.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.array.RaidArray;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Layout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class MetricsTest {

    /** An in-memory array whose writes past 1 MiB fail, to count errors. */
    private static final class MemoryArray implements RaidArray {
        final byte[] bytes = new byte[2 << 20];
        int gathered; // gathering writes received as one request

        @Override
        public String name() {
            return "mem";
        }

        @Override
        public long sizeBytes() {
            return bytes.length;
        }

        @Override
        public Geometry geometry() {
            return Geometry.of(3, 128, Layout.LEFT_SYMMETRIC, 2048);
        }

        @Override
        public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
            dst.duplicate().put(bytes, (int) offset, dst.remaining());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuffer src, boolean fua) {
            if (offset >= 1 << 20) {
                return CompletableFuture.failedFuture(new IOException("injected"));
            }
            src.duplicate().get(bytes, (int) offset, src.remaining());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuffer[] srcs, boolean fua) {
            gathered++;
            long at = offset;
            for (ByteBuffer b : srcs) {
                if (at >= 1 << 20) {
                    return CompletableFuture.failedFuture(new IOException("injected"));
                }
                int n = b.remaining();
                b.duplicate().get(bytes, (int) at, n);
                at += n;
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> flush() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> trim(long offset, long length) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public ArrayStatus status() {
            return new ArrayStatus("mem", "u", "active, resyncing", 3, 65536, "left-symmetric", bytes.length, 2048, 1,
                    List.of("a", "b", "c"), true, 512);
        }

        @Override
        public void close() {
        }
    }

    /**
     * Issue #13's tear: an NBD payload in several receive buffers must reach the engine as ONE
     * request. The decorator once inherited a default that wrote each buffer as its own request,
     * so a sector split between buffers could be written by two stripe passes and torn by a crash.
     */
    @Test
    void aGatheringWriteReachesTheEngineAsOneRequest() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MemoryArray engine = new MemoryArray();
        MeteredRaidArray a = new MeteredRaidArray(engine, registry);
        ByteBuffer[] parts = {ByteBuffer.allocate(480), ByteBuffer.allocate(32 + 4096), ByteBuffer.allocate(511)};
        for (int i = 0; i < parts.length; i++) {
            java.util.Arrays.fill(parts[i].array(), (byte) (i + 1));
        }
        a.write(512, parts, false).get();
        assertEquals(1, engine.gathered, "one request, not one per buffer");
        assertEquals(1, engine.bytes[512 + 479]);
        assertEquals(2, engine.bytes[512 + 480]);
        assertEquals(3, engine.bytes[512 + 480 + 4128]);
        assertEquals(480 + 4128 + 511, registry.get("raid5d.array.bytes").tag("op", "write").counter().count());
    }

    @Test
    void countsAndTimesRequestsAndServesThemAsPrometheusText() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MemoryArray engine = new MemoryArray();
        MeteredRaidArray a = new MeteredRaidArray(engine, registry);
        EngineMeters.bind(engine, registry);
        a.write(0, ByteBuffer.allocate(4096), false).get();
        a.write(8192, ByteBuffer.allocate(512), true).get();
        a.read(0, ByteBuffer.allocate(1000)).get();
        a.flush().get();
        a.trim(0, 65536).get();
        assertThrows(ExecutionException.class, () -> a.write(1 << 20, ByteBuffer.allocate(512), false).get());

        try (MetricsHttpServer http = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), registry)) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + http.address().getPort();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            String text = r.body();
            assertTrue(text.contains("raid5d_array_bytes_total{array=\"mem\",op=\"write\"} 4608.0"), text);
            assertTrue(text.contains("raid5d_array_bytes_total{array=\"mem\",op=\"read\"} 1000.0"), text);
            assertTrue(text.contains("raid5d_array_bytes_total{array=\"mem\",op=\"trim\"} 65536.0"), text);
            assertTrue(text.contains("raid5d_array_requests_seconds_count{array=\"mem\",op=\"write\"} 3"), text);
            assertTrue(text.contains("raid5d_array_request_errors_total{array=\"mem\",op=\"write\"} 1.0"), text);
            assertTrue(text.contains("raid5d_array_requests_seconds_bucket{array=\"mem\",op=\"flush\",le=\"+Inf\"} 1"), text);
            assertTrue(text.contains("raid5d_array_resync_remaining_sectors{array=\"mem\"} 1536.0"), text);
            assertTrue(text.contains("raid5d_array_resync_running{array=\"mem\"} 1.0"), text);
            assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/other")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            EngineMeters.unbind("mem", registry);
            String after = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(!after.contains("array=\"mem\""), "a stopped array's meters are gone:\n" + after);
        }
    }
}
