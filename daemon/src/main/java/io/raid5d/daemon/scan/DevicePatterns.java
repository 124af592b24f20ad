package io.raid5d.daemon.scan;

import io.raid5d.core.member.MemberDevices;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Expands member patterns (plain paths, or shell globs in any path component such as
 * {@code /dev/disk/by-id/ata-*} or {@code /srv/raid/m?.img}) into the existing paths they
 * name, sorted, each device once even if several patterns (or symlinks) name it. Remote
 * members ({@code nbd://} URIs) are named one by one: there is nothing to glob over.
 */
public final class DevicePatterns {
    private DevicePatterns() {
    }

    /** The member names the patterns stand for; a name that is not a path (an {@code nbd://} URI) stands for itself. */
    public static List<String> expand(List<String> patterns) throws IOException {
        List<String> out = new ArrayList<>();
        Set<Object> seen = new HashSet<>();
        for (String pattern : patterns) {
            if (!MemberDevices.isPath(pattern)) {
                if (seen.add(MemberDevices.canonicalName(pattern))) {
                    out.add(pattern);
                }
                continue;
            }
            for (Path p : expandOne(pattern)) {
                Path real = p.toRealPath();
                if (seen.add(real)) {
                    out.add(p.toString());
                }
            }
        }
        return out;
    }

    static boolean isGlob(String component) {
        return component.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static TreeSet<Path> expandOne(String pattern) throws IOException {
        Path path = Path.of(pattern).toAbsolutePath().normalize();
        TreeSet<Path> current = new TreeSet<>(List.of(path.getRoot()));
        for (Path component : path) {
            String name = component.toString();
            TreeSet<Path> next = new TreeSet<>();
            for (Path dir : current) {
                if (!isGlob(name)) {
                    Path child = dir.resolve(name);
                    if (Files.exists(child)) {
                        next.add(child);
                    }
                    continue;
                }
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    for (Path e : entries) {
                        if (matcher.matches(e.getFileName()) && Files.exists(e)) {
                            next.add(e);
                        }
                    }
                }
            }
            current = next;
        }
        return current;
    }
}
