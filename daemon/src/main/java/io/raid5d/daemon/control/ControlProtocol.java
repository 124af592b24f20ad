package io.raid5d.daemon.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The control socket's wire format, shared by the daemon and the {@code raid5} client.
 *
 * <p>A request is one line: the command and its arguments separated by TAB characters. The
 * reply is any number of output lines, each prefixed {@code "D "}, then one final line: {@code OK}
 * or {@code ERR <reason>}. One request per connection.
 */
public final class ControlProtocol {
    public static final String DATA_PREFIX = "D ";
    public static final String OK = "OK";
    public static final String ERR_PREFIX = "ERR ";
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    private ControlProtocol() {
    }

    /** The reply to one request. */
    public record Reply(boolean ok, List<String> lines, String error) {
    }

    public static String encodeRequest(List<String> words) {
        for (String w : words) {
            if (w.indexOf('\t') >= 0 || w.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("control arguments may not contain tabs or newlines: " + w);
            }
        }
        return String.join("\t", words) + "\n";
    }

    public static List<String> decodeRequest(String line) {
        List<String> words = new ArrayList<>(List.of(line.split("\t", -1)));
        words.removeIf(String::isEmpty);
        return words;
    }

    /** Sends one request to the daemon listening on {@code socket} and reads its reply. */
    public static Reply call(Path socket, List<String> words) throws IOException {
        List<String> lines = new ArrayList<>();
        Reply r = stream(socket, words, lines::add);
        return new Reply(r.ok(), lines, r.error());
    }

    /**
     * Sends one request and hands each output line to {@code onLine} as it arrives (for
     * streaming verbs such as {@code monitor}); returns the final status, with no lines.
     */
    public static Reply stream(Path socket, List<String> words, java.util.function.Consumer<String> onLine) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(ch);
            out.write(encodeRequest(words).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith(DATA_PREFIX)) {
                    onLine.accept(line.substring(DATA_PREFIX.length()));
                } else if (line.equals(OK)) {
                    return new Reply(true, List.of(), null);
                } else if (line.startsWith(ERR_PREFIX)) {
                    return new Reply(false, List.of(), line.substring(ERR_PREFIX.length()));
                } else {
                    throw new IOException("unexpected line from raid5d: " + line);
                }
            }
            throw new IOException("raid5d closed the control connection without a reply");
        }
    }
}
