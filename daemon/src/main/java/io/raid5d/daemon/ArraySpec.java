package io.raid5d.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An array named on the command line: {@code NAME=MEMBER,MEMBER,...}. */
public record ArraySpec(String name, List<Path> members) {

    public static ArraySpec parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("--array wants NAME=MEMBER,MEMBER,... but got '" + text + "'");
        }
        String name = text.substring(0, eq);
        List<Path> members = new ArrayList<>();
        for (String m : text.substring(eq + 1).split(",")) {
            if (m.isBlank()) {
                throw new IllegalArgumentException("--array " + name + ": empty member path in '" + text + "'");
            }
            members.add(Path.of(m.trim()).toAbsolutePath().normalize());
        }
        return new ArraySpec(name, List.copyOf(members));
    }
}
