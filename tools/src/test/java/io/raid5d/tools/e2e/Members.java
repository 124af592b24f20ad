package io.raid5d.tools.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Member files for end-to-end tests, and digests to prove nothing was written. */
final class Members {
    private Members() {
    }

    static List<Path> paths(Path dir, String prefix, int count) {
        List<Path> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            members.add(dir.resolve(prefix + i + ".img"));
        }
        return members;
    }

    /** {@code raid5 create} over fresh (missing, so created) member files. */
    static List<Path> create(Path dir, String name, int count, String chunk, String size, String... extra)
            throws IOException, InterruptedException {
        List<Path> members = paths(dir, name + "-m", count);
        List<String> args = new ArrayList<>(List.of(Cmd.bin("raid5").toString(), "create",
                "--raid-devices", String.valueOf(count), "--chunk", chunk, "--size", size, "--name", name));
        args.addAll(List.of(extra));
        for (Path m : members) {
            args.add(m.toString());
        }
        Cmd.run(Duration.ofMinutes(2), args).requireOk();
        return members;
    }

    static String arrayArg(String name, List<Path> members) {
        StringBuilder sb = new StringBuilder(name).append('=');
        for (int i = 0; i < members.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(members.get(i));
        }
        return sb.toString();
    }

    static String[] pathArgs(String first, List<Path> members) {
        List<String> a = new ArrayList<>(List.of(first.split(" ")));
        members.forEach(m -> a.add(m.toString()));
        return a.toArray(new String[0]);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> sha256All(List<Path> files) throws IOException {
        List<String> sums = new ArrayList<>();
        for (Path f : files) {
            sums.add(sha256(f));
        }
        return sums;
    }
}
