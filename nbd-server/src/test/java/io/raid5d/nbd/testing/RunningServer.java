package io.raid5d.nbd.testing;

import io.raid5d.nbd.NbdServer;
import io.raid5d.nbd.NbdServerConfig;
import io.raid5d.nbd.export.ExportRegistry;
import java.net.InetSocketAddress;

/** An {@link NbdServer} on 127.0.0.1 with a free port, for one test. */
public final class RunningServer implements AutoCloseable {
    public final NbdServer server;
    public final InetSocketAddress address;

    public RunningServer(ExportRegistry registry, NbdServerConfig config) {
        this.server = new NbdServer(registry, config.withIoThreads(config.ioThreads() == 0 ? 2 : config.ioThreads()));
        this.address = server.start(new InetSocketAddress("127.0.0.1", 0));
    }

    public RunningServer(ExportRegistry registry) {
        this(registry, NbdServerConfig.defaults());
    }

    public String uri(String exportName) {
        return "nbd://127.0.0.1:" + address.getPort() + "/" + exportName;
    }

    @Override
    public void close() {
        server.close();
    }
}
