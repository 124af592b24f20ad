package io.raid5d.core.superblock;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Properties;

/** The md-made member images in shared/fixtures, unpacked on demand into a temporary folder. */
final class Fixtures {
    static final List<String> NAMES = List.of("ls4-c64-bm1m", "la5-c16-nobm");

    private Fixtures() {
    }

    /** shared/fixtures, found beside the repository (or worktree) or named by RAID5D_FIXTURES. */
    static Path root() {
        String env = System.getenv("RAID5D_FIXTURES");
        if (env != null && !env.isEmpty()) {
            return Paths.get(env);
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/fixtures not found above " + Paths.get("").toAbsolutePath()
                + " (set RAID5D_FIXTURES)");
    }

    static Path dir(String name) {
        return root().resolve(name);
    }

    static Properties properties(String name) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir(name).resolve("fixture.properties"), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    static String mdadmText(String name, String file) throws IOException {
        return Files.readString(dir(name).resolve("mdadm").resolve(file), StandardCharsets.UTF_8);
    }

    /** Unpacks members.tar.xz into {@code into}/name and returns that folder. */
    static Path unpack(String name, Path into) throws IOException, InterruptedException {
        Path out = into.resolve(name);
        Files.createDirectories(out);
        Commands.Result r = Commands.run("tar", "-xJf", dir(name).resolve("members.tar.xz").toString(),
                "-C", out.toString());
        if (r.exitCode != 0) {
            throw new IOException("tar failed: " + r.output);
        }
        return out;
    }

    static Path member(Path unpacked, int index) {
        return unpacked.resolve("member" + index + ".img");
    }

    /** The device name mdadm saw for member K in the kernel guest (/dev/vdb, /dev/vdc, ...). */
    static String guestDevice(int index) {
        return "/dev/vd" + (char) ('b' + index);
    }
}
