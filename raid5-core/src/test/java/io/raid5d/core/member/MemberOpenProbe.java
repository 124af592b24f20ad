package io.raid5d.core.member;

import java.nio.file.Path;

/** Run in a child JVM: opens a member and prints "OPEN" or the failure reason. */
public final class MemberOpenProbe {

    private MemberOpenProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (MemberDevice d = MemberDevices.open(Path.of(args[0]), Boolean.parseBoolean(args[1]))) {
            System.out.println("OPEN " + d.sizeBytes());
        } catch (MemberOpenException e) {
            System.out.println(e.reason() + " " + e.getMessage());
        }
    }

    /** Runs the probe in a new JVM and returns its first output line. */
    static String runInChildJvm(Path path, boolean readOnly) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MemberOpenProbe.class.getName(),
                path.toString(), Boolean.toString(readOnly))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("probe did not finish: " + out);
        }
        return out.lines().findFirst().orElse("");
    }
}
