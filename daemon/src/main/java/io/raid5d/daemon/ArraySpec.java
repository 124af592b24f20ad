package io.raid5d.daemon;

import io.raid5d.core.member.MemberDevices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An array named on the command line: {@code --array NAME=MEMBER,MEMBER,...} (paths, or
 * {@code nbd://} and {@code nbds://} URIs of remote exports), and its bitmap
 * file if a {@code --bitmap NAME=FILE} names it.
 */
public record ArraySpec(String name, List<String> members, Optional<Path> bitmapFile) {

    public ArraySpec(String name, List<String> members) {
        this(name, members, Optional.empty());
    }

    public ArraySpec withBitmapFile(Path file) {
        return new ArraySpec(name, members, Optional.of(file));
    }

    /** Parses {@code --bitmap NAME=FILE}: the array's bitmap file (md keeps file bitmaps outside the superblocks). */
    public static Map.Entry<String, Path> parseBitmap(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("--bitmap wants NAME=FILE but got '" + text + "'");
        }
        return Map.entry(text.substring(0, eq), Path.of(text.substring(eq + 1).trim()).toAbsolutePath().normalize());
    }

    public static ArraySpec parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("--array wants NAME=MEMBER,MEMBER,... but got '" + text + "'");
        }
        String name = text.substring(0, eq);
        List<String> members = new ArrayList<>();
        for (String m : text.substring(eq + 1).split(",")) {
            if (m.isBlank()) {
                throw new IllegalArgumentException("--array " + name + ": empty member path in '" + text + "'");
            }
            members.add(MemberDevices.canonicalName(m.trim())); // a path made absolute, or an nbd:// URI as it is
        }
        return new ArraySpec(name, List.copyOf(members));
    }
}
