package io.raid5d.daemon;

import io.raid5d.core.array.ArrayStatus;
import java.util.ArrayList;
import java.util.List;

/** Text views of running arrays: {@code detail} like mdadm --detail, {@code status} like /proc/mdstat. */
final class ArrayReports {
    private ArrayReports() {
    }

    static List<String> detail(ArrayStatus s) {
        List<String> out = new ArrayList<>();
        out.add(s.name() + ":");
        out.add(row("Version", "1.2"));
        out.add(row("Raid Level", "raid5"));
        out.add(row("Array Size", s.sizeBytes() / 1024 + " KiB (" + s.sizeBytes() + " bytes)"));
        out.add(row("Used Dev Size", s.memberSectors() / 2 + " KiB"));
        out.add(row("Raid Devices", String.valueOf(s.raidDisks())));
        out.add(row("State", s.state()));
        out.add(row("Layout", s.layout()));
        out.add(row("Chunk Size", s.chunkBytes() / 1024 + "K"));
        if (s.resyncDoneSectors() < s.memberSectors()) {
            out.add(row("Resync Status", percent(s) + " complete"));
        }
        out.add(row("UUID", s.uuid()));
        out.add(row("Events", String.valueOf(s.events())));
        out.add("");
        out.add("    Number   RaidDevice State");
        for (int i = 0; i < s.members().size(); i++) {
            out.add(String.format("    %6d   %10d active sync   %s", i, i, s.members().get(i)));
        }
        return out;
    }

    static List<String> status(List<ArrayStatus> arrays) {
        List<String> out = new ArrayList<>();
        out.add("Personalities : [raid5]");
        for (ArrayStatus s : arrays) {
            StringBuilder line = new StringBuilder(s.name()).append(" : active raid5");
            for (int i = 0; i < s.members().size(); i++) {
                line.append(' ').append(s.members().get(i)).append('[').append(i).append(']');
            }
            out.add(line.toString());
            out.add(String.format("      %d blocks level 5, %dk chunk, algorithm %s [%d/%d] [%s]",
                    s.sizeBytes() / 1024, s.chunkBytes() / 1024, s.layout(), s.raidDisks(), s.raidDisks(),
                    "U".repeat(s.raidDisks())));
            if (s.resyncRunning()) {
                out.add(String.format("      resync = %s (%d/%d)", percent(s), s.resyncDoneSectors() / 2, s.memberSectors() / 2));
            }
        }
        if (arrays.isEmpty()) {
            out.add("no arrays running");
        }
        return out;
    }

    private static String percent(ArrayStatus s) {
        int t = s.resyncPercentTenths();
        return t / 10 + "." + t % 10 + "%";
    }

    private static String row(String label, String value) {
        return String.format("%18s : %s", label, value);
    }
}
