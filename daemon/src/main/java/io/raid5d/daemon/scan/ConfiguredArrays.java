package io.raid5d.daemon.scan;

import io.raid5d.daemon.config.ArrayEntry;
import io.raid5d.daemon.config.DaemonConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the members of every ARRAY of a configuration by reading superblocks: the shared
 * half of {@code raid5 assemble --scan} and of the daemon's start-up assembly.
 */
public final class ConfiguredArrays {
    private ConfiguredArrays() {
    }

    /** One configured array and what the scan found for it. */
    public record Resolution(ArrayEntry entry, Optional<FoundArray> found, String problem) {
        public boolean ok() {
            return found.isPresent();
        }
    }

    public static List<Resolution> resolve(DaemonConfig config) {
        Map<List<String>, MemberScan> scans = new HashMap<>(); // each pattern list is read once
        List<Resolution> out = new ArrayList<>();
        for (ArrayEntry e : config.arrays()) {
            List<String> patterns = config.patternsFor(e);
            if (patterns.isEmpty()) {
                out.add(new Resolution(e, Optional.empty(), "no devices= for it and no DEVICE line to search"));
                continue;
            }
            MemberScan scan;
            try {
                scan = scans.containsKey(patterns) ? scans.get(patterns) : MemberScan.of(patterns);
                scans.put(patterns, scan);
            } catch (IOException ex) {
                out.add(new Resolution(e, Optional.empty(), "cannot search " + patterns + ": " + ex.getMessage()));
                continue;
            }
            Optional<FoundArray> found = scan.find(e.uuid(), e.name());
            String what = e.uuid().map(u -> "UUID " + u).orElse("md name " + e.name());
            out.add(new Resolution(e, found, found.isPresent() ? null
                    : "no member with " + what + " among " + scan.probed().size() + " devices matching " + patterns));
        }
        return out;
    }
}
