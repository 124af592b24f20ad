package io.raid5d.daemon.scan;

import io.raid5d.core.superblock.MdUuid;
import io.raid5d.core.superblock.Superblock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code assemble --scan}'s first half: read the superblock of every device the patterns
 * name and group the devices by array UUID, as mdadm does. Only reads.
 */
public final class MemberScan {
    private final List<ProbedMember> probed;

    private MemberScan(List<ProbedMember> probed) {
        this.probed = probed;
    }

    public static MemberScan of(List<String> patterns) throws IOException {
        List<ProbedMember> probed = new ArrayList<>();
        for (String p : DevicePatterns.expand(patterns)) {
            probed.add(SuperblockProbe.probe(p));
        }
        return new MemberScan(probed);
    }

    public List<ProbedMember> probed() {
        return probed;
    }

    /** The arrays whose members were seen, in order of first appearance. */
    public List<FoundArray> arrays() {
        Map<String, List<ProbedMember>> byUuid = new LinkedHashMap<>();
        for (ProbedMember m : probed) {
            m.superblock().ifPresent(sb -> byUuid.computeIfAbsent(MdUuid.format(sb.getSetUuid()), k -> new ArrayList<>()).add(m));
        }
        List<FoundArray> out = new ArrayList<>();
        for (Map.Entry<String, List<ProbedMember>> e : byUuid.entrySet()) {
            List<ProbedMember> ms = new ArrayList<>(e.getValue());
            ms.sort(Comparator.comparingInt(MemberScan::roleOrder));
            Superblock newest = ms.stream().map(m -> m.superblock().get())
                    .max((a, b) -> Long.compareUnsigned(a.getEvents(), b.getEvents())).get();
            long roles = ms.stream().mapToInt(m -> m.superblock().get().role())
                    .filter(r -> Superblock.isActiveRole(r) && r < newest.getRaidDisks()).distinct().count();
            out.add(new FoundArray(e.getKey(), newest.getSetName(), newest.getRaidDisks(), newest.getEvents(),
                    ms.stream().map(ProbedMember::path).toList(), (int) roles));
        }
        return out;
    }

    /** The array with {@code uuid}, or else the one whose md name is {@code name} (also "host:name"). */
    public java.util.Optional<FoundArray> find(java.util.Optional<String> uuid, String name) {
        for (FoundArray a : arrays()) {
            if (uuid.isPresent() ? a.uuid().equalsIgnoreCase(uuid.get())
                    : a.mdName().equals(name) || a.mdName().endsWith(":" + name)) {
                return java.util.Optional.of(a);
            }
        }
        return java.util.Optional.empty();
    }

    private static int roleOrder(ProbedMember m) {
        Superblock sb = m.superblock().get();
        int role = sb.roleOf(sb.getDevNumber());
        return Superblock.isActiveRole(role) ? role : Integer.MAX_VALUE;
    }
}
