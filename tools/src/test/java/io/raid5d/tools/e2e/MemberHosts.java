package io.raid5d.tools.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Member "hosts" for remote-member tests: each is a network namespace made here, joined to this
 * one by a veth pair on its own /24 (10.213.N.0: this side .1, the host .2), running nbdkit's
 * file plugin over a member file in the test directory on 10.213.N.2:10809. close() kills the
 * servers and removes the namespaces and links, whatever state the test left them in.
 */
final class MemberHosts implements AutoCloseable {
    private static final int PORT = 10809;

    private final List<String> namespaces = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private final Path dir;
    private final int base;

    private MemberHosts(Path dir, int base) {
        this.dir = dir;
        this.base = base;
    }

    /** {@code count} hosts, each serving a fresh sparse file of {@code bytes}. */
    static MemberHosts start(Path dir, int count, long bytes) throws IOException, InterruptedException {
        int base = 10 + (int) (ProcessHandle.current().pid() % 40) * 5;
        MemberHosts hosts = new MemberHosts(dir, base);
        try {
            for (int i = 0; i < count; i++) {
                hosts.add(i, bytes);
            }
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            hosts.close();
            throw e;
        }
        return hosts;
    }

    private void add(int i, long bytes) throws IOException, InterruptedException {
        String ns = namespace(i);
        ip("netns", "add", ns);
        namespaces.add(ns);
        ip("link", "add", hostLink(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("addr", "add", "10.213." + (base + i) + ".1/24", "dev", hostLink(i));
        ip("link", "set", hostLink(i), "up");
        ip("netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", "eth0");
        ip("netns", "exec", ns, "ip", "link", "set", "eth0", "up");
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
        Path file = dir.resolve("host" + i + ".img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        files.add(file);
        servers.add(null);
        startServer(i);
    }

    String namespace(int i) {
        return "r5h" + base + "n" + i;
    }

    private String hostLink(int i) {
        return "r5v" + base + "n" + i;
    }

    String address(int i) {
        return "10.213." + (base + i) + ".2";
    }

    String uri(int i) {
        return "nbd://" + address(i) + ":" + PORT + "/";
    }

    List<String> uris() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            out.add(uri(i));
        }
        return out;
    }

    /** The file host {@code i} serves (what mdadm --examine can read directly). */
    Path file(int i) {
        return files.get(i);
    }

    /** Starts (or restarts) host {@code i}'s nbdkit and waits until it accepts connections. */
    void startServer(int i) throws IOException, InterruptedException {
        Path log = dir.resolve("nbdkit" + i + ".log");
        Process p = new ProcessBuilder("ip", "netns", "exec", namespace(i), "nbdkit", "-f", "--exit-with-parent",
                "-i", address(i), "-p", String.valueOf(PORT), "file", files.get(i).toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        servers.set(i, p);
        for (int tries = 0; tries < 200; tries++) {
            if (!p.isAlive()) {
                throw new AssertionError("nbdkit on host " + i + " exited: " + Files.readString(log));
            }
            if (Cmd.run(Duration.ofSeconds(10), "nbdinfo", "--size", uri(i)).exit() == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("nbdkit on host " + i + " does not answer: " + Files.readString(log));
    }

    /**
     * Makes sure host {@code i}'s server runs, restarting it as its service manager
     * (Restart=always) would if it exited; says so on stdout with the end of its log.
     */
    void ensureServing(int i) throws IOException, InterruptedException {
        Process p = servers.get(i);
        if (p != null && p.isAlive()) {
            return;
        }
        Path log = dir.resolve("nbdkit" + i + ".log");
        String tail = Files.exists(log) ? Files.readString(log) : "";
        System.out.printf("MemberHosts: nbdkit on host %d had exited (status %s); restarting it. Its log:%n%s%n", i,
                p == null ? "?" : String.valueOf(p.exitValue()), tail.length() > 2000 ? tail.substring(tail.length() - 2000) : tail);
        startServer(i);
    }

    /** SIGKILL to host {@code i}'s server: the host's service dies, its link stays. */
    void killServer(int i) throws InterruptedException {
        Process p = servers.get(i);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Takes host {@code i}'s link down (requests hang: no reset, no reply) or up again. */
    void link(int i, boolean up) throws IOException, InterruptedException {
        ip("link", "set", hostLink(i), up ? "up" : "down");
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Cmd.run(Duration.ofSeconds(30), command).requireOk();
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < servers.size(); i++) {
            killServer(i);
        }
        for (int i = 0; i < namespaces.size(); i++) {
            try {
                Cmd.run(Duration.ofSeconds(30), "ip", "link", "del", hostLink(i));
                Cmd.run(Duration.ofSeconds(30), "ip", "netns", "del", namespaces.get(i));
            } catch (IOException e) {
                System.err.println("MemberHosts: cleanup of " + namespaces.get(i) + ": " + e);
            }
        }
    }
}
