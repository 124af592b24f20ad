package io.raid5d.daemon;

import io.raid5d.core.array.ArrayStatus;
import io.raid5d.core.member.MemberSet;
import io.raid5d.daemon.array.BitmapInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Text views of running arrays: {@code detail} like mdadm --detail, {@code status} like
 * /proc/mdstat, and {@code detail --json} for scripts.
 */
final class ArrayReports {
    private ArrayReports() {
    }

    static List<String> detail(ArrayStatus s) {
        return detail(new ArrayView(s, java.util.Optional.empty(), 0));
    }

    static List<String> detail(ArrayView v) {
        ArrayStatus s = v.status();
        List<String> out = new ArrayList<>();
        out.add(s.name() + ":");
        out.add(row("Version", "1.2"));
        out.add(row("Raid Level", "raid5"));
        out.add(row("Array Size", s.sizeBytes() / 1024 + " KiB (" + s.sizeBytes() + " bytes)"));
        out.add(row("Used Dev Size", s.memberSectors() / 2 + " KiB"));
        out.add(row("Raid Devices", String.valueOf(s.raidDisks())));
        out.add(row("Intent Bitmap", v.bitmap().map(BitmapInfo::location).orElse("none")));
        out.add(row("State", s.state()));
        out.add(row("Layout", s.layout()));
        out.add(row("Chunk Size", s.chunkBytes() / 1024 + "K"));
        if (s.resyncDoneSectors() < s.memberSectors()) {
            out.add(row("Resync Status", percent(s) + " complete"));
        }
        v.reshape().ifPresent(r -> {
            // mdadm --detail's lines for a reshape
            out.add(row("Reshape Status", r.percentTenths() / 10 + "% complete" + (r.running() ? ""
                    : " (stopped: see the log)")));
            out.add(row("Delta Devices", (r.toDisks() - r.fromDisks()) + ", (" + r.fromDisks() + "->" + r.toDisks() + ")"));
        });
        v.health().ifPresent(h -> {
            if (h.rebuildRunning() || h.degraded() && h.recoveredSectors() > 0 && h.recoveredSectors() < s.memberSectors()) {
                out.add(row("Rebuild Status", (int) (h.recoveredSectors() * 100 / Math.max(1, s.memberSectors()))
                        + "% complete" + (h.rebuildRunning() ? ", speed " + h.rebuildKiBps() + "K/sec" : "")));
            }
            if (!h.scrub().equals("idle")) {
                out.add(row("Check Status", h.scrub() + " " + h.scrubDoneSectors() * 100 / Math.max(1, s.memberSectors())
                        + "% complete"));
            }
            out.add(row("Mismatch Count", String.valueOf(h.mismatchCount())));
            long active = h.slots().stream().filter(x -> x == MemberSet.Slot.IN_SYNC).count();
            out.add(row("Active Devices", String.valueOf(active)));
            out.add(row("Failed Devices", String.valueOf(h.slots().stream()
                    .filter(x -> x == MemberSet.Slot.FAULTY).count() + h.faultyDetached().size())));
            out.add(row("Spare Devices", String.valueOf(h.spares().size() + h.slots().stream()
                    .filter(x -> x == MemberSet.Slot.REBUILDING).count())));
        });
        out.add(row("UUID", s.uuid()));
        out.add(row("Events", String.valueOf(s.events())));
        out.add("");
        out.add("    Number   RaidDevice State");
        for (int i = 0; i < s.members().size(); i++) {
            out.add(String.format("    %6d   %10d %-14s %s", i, i, memberState(v, i), memberPath(v, i)));
        }
        List<String[]> extra = outsideRoles(v);
        for (int k = 0; k < extra.size(); k++) {
            out.add(String.format("    %6d   %10s %-14s %s", s.members().size() + k, "-", extra.get(k)[0], extra.get(k)[1]));
        }
        return out;
    }

    /** Devices held outside the roles, as {state, path}: idle spares, then faulty members a spare replaced. */
    private static List<String[]> outsideRoles(ArrayView v) {
        List<String[]> out = new ArrayList<>();
        v.health().ifPresent(h -> {
            h.spares().forEach(p -> out.add(new String[] {"spare", p}));
            h.faultyDetached().forEach(p -> out.add(new String[] {"faulty", p}));
        });
        return out;
    }

    /**
     * The device of a role; for a role without one, why it is out ("-" when nothing more is
     * known than mdadm's "removed"): "(out of date: /dev/x (events 3 < 9))".
     */
    static String memberPath(ArrayView v, int role) {
        if (v.health().isPresent() && v.health().get().slots().get(role) == MemberSet.Slot.MISSING) {
            String note = v.health().get().outNotes().get(role);
            return note.equals("removed") ? "-" : "(" + note + ")";
        }
        return v.status().members().get(role);
    }

    /** Why each role without a member is out, as "[role] note" lines' words; empty when none is out. */
    static List<String> outLines(ArrayView v) {
        List<String> out = new ArrayList<>();
        v.health().ifPresent(h -> {
            for (int r = 0; r < h.slots().size(); r++) {
                if (h.slots().get(r) == MemberSet.Slot.MISSING) {
                    out.add("[" + r + "] " + h.outNotes().get(r));
                }
            }
        });
        return out;
    }

    /** mdadm --detail's words for a member's state. */
    static String memberState(ArrayView v, int role) {
        if (v.health().isEmpty()) {
            return "active sync";
        }
        return switch (v.health().get().slots().get(role)) {
            case IN_SYNC -> "active sync";
            case FAULTY -> "faulty";
            case MISSING -> "removed";
            case REBUILDING -> "spare rebuilding";
        };
    }

    private static String upMarks(ArrayView v) {
        if (v.health().isEmpty()) {
            return "U".repeat(v.status().raidDisks());
        }
        StringBuilder b = new StringBuilder();
        v.health().get().slots().forEach(x -> b.append(x == MemberSet.Slot.IN_SYNC ? 'U' : '_'));
        return b.toString();
    }

    static List<String> status(List<ArrayView> arrays) {
        List<String> out = new ArrayList<>();
        out.add("Personalities : [raid5]");
        for (ArrayView v : arrays) {
            ArrayStatus s = v.status();
            StringBuilder line = new StringBuilder(s.name()).append(" : active raid5");
            for (int i = 0; i < s.members().size(); i++) {
                if (v.health().isPresent() && v.health().get().slots().get(i) == MemberSet.Slot.MISSING) {
                    continue; // as /proc/mdstat: only devices in the array; the "out:" line says why a role is empty
                }
                line.append(' ').append(s.members().get(i)).append('[').append(i).append(']');
                String st = memberState(v, i);
                if (st.equals("faulty")) {
                    line.append("(F)");
                } else if (st.startsWith("spare")) {
                    line.append("(S)");
                }
            }
            List<String[]> extra = outsideRoles(v);
            for (int k = 0; k < extra.size(); k++) {
                line.append(' ').append(extra.get(k)[1]).append('[').append(s.members().size() + k).append(']')
                        .append(extra.get(k)[0].equals("spare") ? "(S)" : "(F)");
            }
            out.add(line.toString());
            out.add(String.format("      %d blocks level 5, %dk chunk, algorithm %s [%d/%d] [%s]",
                    s.sizeBytes() / 1024, s.chunkBytes() / 1024, s.layout(), s.raidDisks(),
                    upMarks(v).chars().filter(c -> c == 'U').count(), upMarks(v)));
            List<String> outs = outLines(v);
            if (!outs.isEmpty()) {
                out.add("      out: " + String.join(", ", outs));
            }
            v.health().filter(h -> h.rebuildRunning()).ifPresent(h -> out.add(String.format(
                    "      recovery = %d%% (%d/%d) speed=%dK/sec", h.recoveredSectors() * 100 / Math.max(1, s.memberSectors()),
                    h.recoveredSectors() / 2, s.memberSectors() / 2, h.rebuildKiBps())));
            v.health().filter(h -> !h.scrub().equals("idle")).ifPresent(h -> out.add(String.format(
                    "      %s = %d%% (%d/%d) mismatch_cnt=%d", h.scrub(), h.scrubDoneSectors() * 100 / Math.max(1, s.memberSectors()),
                    h.scrubDoneSectors() / 2, s.memberSectors() / 2, h.mismatchCount())));
            v.reshape().ifPresent(r -> out.add(reshapeLine(r)));
            if (s.resyncRunning()) {
                out.add(resyncLine(v));
            } else if (s.resyncDoneSectors() < s.memberSectors()) {
                out.add(String.format("      resync=PENDING (%d/%d)", s.resyncDoneSectors() / 2, s.memberSectors() / 2));
            }
            v.bitmap().ifPresent(b -> out.add(String.format("      bitmap: %d pages [%dKB], %dKB chunk%s", b.pages(),
                    b.pages() * 4, b.chunkBytes() / 1024, b.location().equals("internal") ? "" : ", file: " + b.location())));
            out.add("");
        }
        if (arrays.isEmpty()) {
            out.add("no arrays running");
        }
        return out;
    }

    /** md's progress line: bar, percent, done/total in KiB, estimated finish, speed. */
    private static String resyncLine(ArrayView v) {
        ArrayStatus s = v.status();
        int tenths = s.resyncPercentTenths();
        int filled = Math.min(20, tenths / 50);
        String bar = "[" + "=".repeat(filled) + ">" + ".".repeat(Math.max(0, 19 - filled)) + "]";
        StringBuilder sb = new StringBuilder(String.format("      %s  resync = %s (%d/%d)", bar, percent(s),
                s.resyncDoneSectors() / 2, s.memberSectors() / 2));
        long speed = v.resyncSectorsPerSecond();
        if (speed > 0) {
            double minutes = (s.memberSectors() - s.resyncDoneSectors()) / (double) speed / 60.0;
            sb.append(String.format(" finish=%.1fmin speed=%dK/sec", minutes, speed / 2));
        }
        return sb.toString();
    }

    /** /proc/mdstat's line for a reshape: its progress in KiB of the grown array, and the rate per member. */
    private static String reshapeLine(io.raid5d.core.array.ReshapeStatus r) {
        int tenths = r.percentTenths();
        int filled = Math.min(20, tenths / 50);
        String bar = "[" + "=".repeat(filled) + ">" + ".".repeat(Math.max(0, 19 - filled)) + "]";
        StringBuilder sb = new StringBuilder(String.format("      %s  reshape = %d.%d%% (%d/%d)", bar, tenths / 10, tenths % 10,
                r.doneSectors() / 2, r.totalSectors() / 2));
        long perMember = r.speedKiBps();
        if (perMember > 0) {
            long left = (r.totalSectors() - r.doneSectors()) / 2 / (r.toDisks() - 1); // KiB per member still to write
            sb.append(String.format(" finish=%.1fmin speed=%dK/sec", left / (double) perMember / 60.0, perMember));
        } else if (!r.running()) {
            sb.append(" stopped");
        }
        return sb.toString();
    }

    static String json(ArrayView v) {
        ArrayStatus s = v.status();
        Json j = new Json();
        j.begin();
        j.field("name", s.name()).field("uuid", s.uuid()).field("level", "raid5").field("state", s.state())
                .field("raid_disks", s.raidDisks()).field("chunk_bytes", s.chunkBytes()).field("layout", s.layout())
                .field("size_bytes", s.sizeBytes()).field("member_sectors", s.memberSectors())
                .field("events", s.events());
        j.key("resync").begin().field("running", s.resyncRunning()).field("done_sectors", s.resyncDoneSectors())
                .field("percent", s.resyncPercentTenths() / 10.0).field("speed_kib_per_sec", v.resyncSectorsPerSecond() / 2)
                .end();
        v.reshape().ifPresent(r -> j.key("reshape").begin().field("from_disks", r.fromDisks()).field("to_disks", r.toDisks())
                .field("done_sectors", r.doneSectors()).field("total_sectors", r.totalSectors())
                .field("percent", r.percentTenths() / 10.0).field("speed_kib_per_sec", r.speedKiBps())
                .field("running", r.running()).end());
        if (v.bitmap().isPresent()) {
            BitmapInfo b = v.bitmap().get();
            j.key("bitmap").begin().field("location", b.location()).field("chunk_bytes", b.chunkBytes())
                    .field("chunks", b.chunks()).field("pages", b.pages()).end();
        } else {
            j.key("bitmap").nullValue();
        }
        v.health().ifPresent(h -> j.key("health").begin().field("degraded", h.degraded()).field("failed", h.failed())
                .field("rebuild_running", h.rebuildRunning()).field("recovered_sectors", h.recoveredSectors())
                .field("rebuild_speed_kib_per_sec", h.rebuildKiBps()).field("scrub", h.scrub())
                .field("scrub_done_sectors", h.scrubDoneSectors()).field("mismatch_cnt", h.mismatchCount()).end());
        j.key("members").beginArray();
        for (int i = 0; i < s.members().size(); i++) {
            j.begin().field("number", i).field("role", i).field("state", memberState(v, i)).field("path", s.members().get(i));
            if (v.health().isPresent() && !v.health().get().outNotes().get(i).isEmpty()) {
                j.field("out", v.health().get().outNotes().get(i));
            }
            j.end();
        }
        List<String[]> extra = outsideRoles(v);
        for (int k = 0; k < extra.size(); k++) {
            j.begin().field("number", s.members().size() + k).key("role").nullValue();
            j.field("state", extra.get(k)[0]).field("path", extra.get(k)[1]).end();
        }
        j.endArray();
        j.end();
        return j.toString();
    }

    private static String percent(ArrayStatus s) {
        int t = s.resyncPercentTenths();
        return t / 10 + "." + t % 10 + "%";
    }

    private static String row(String label, String value) {
        return String.format("%18s : %s", label, value);
    }
}
