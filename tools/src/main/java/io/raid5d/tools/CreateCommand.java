package io.raid5d.tools;

import io.raid5d.bitmap.FileBitmapStore;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.MdUuid;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code raid5 create}: writes md v1.2 superblocks (and an internal bitmap) onto the members,
 * as {@code mdadm --create --metadata=1.2 --level=5} would. Member files that do not exist are
 * created (sparse, so all zeros: such an array needs no initial resync).
 */
@Command(name = "create", description = "Create a RAID-5 array on member files or block devices.")
final class CreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--raid-devices"}, required = true, paramLabel = "N", description = "number of members (at least 3)")
    int raidDevices;

    @Option(names = {"-x", "--spare-devices"}, paramLabel = "K",
            description = "the last K devices named become spares (role spare), rebuilt into the first member that fails (default: 0)")
    int spareDevices;

    @Option(names = {"-c", "--chunk"}, paramLabel = "SIZE", description = "chunk size (default: ${DEFAULT-VALUE}; plain numbers are KiB)")
    String chunk = "512K";

    @Option(names = "--layout", paramLabel = "LAYOUT", description = "left-symmetric (default), left-asymmetric, right-symmetric, right-asymmetric, parity-first, parity-last")
    String layout = "left-symmetric";

    @Option(names = {"-b", "--bitmap"}, paramLabel = "internal|none|FILE",
            description = "write-intent bitmap: on the members, none, or in a new file the daemon is told of at assembly (default: ${DEFAULT-VALUE})")
    String bitmap = "internal";

    @Option(names = {"-d", "--delay"}, paramLabel = "SECONDS",
            description = "bitmap daemon_sleep: seconds between passes that clear idle bits (default: 5)")
    int delay = BitmapSuperblock.DEFAULT_DAEMON_SLEEP;

    @Option(names = "--bitmap-chunk", paramLabel = "SIZE", description = "member space per bitmap bit (default: 64M; K, M, G suffixes; a plain number is KiB, as in mdadm)")
    String bitmapChunk;

    @Option(names = "--data-offset", paramLabel = "SIZE", description = "where the data starts on each member (mdadm's"
            + " --data-offset; K, M, G suffixes, a plain number is KiB; default: md's rule, which leaves up to 128 MiB of"
            + " headroom for a grow, less on small members)")
    String dataOffset;

    @Option(names = {"-z", "--size"}, paramLabel = "SIZE", description = "space used on each member (default: all); needed to create missing member files")
    String size;

    @Option(names = {"-N", "--name"}, paramLabel = "NAME", description = "array name (default: the first member's file name)")
    String name;

    @Option(names = "--uuid", paramLabel = "UUID", description = "array UUID (default: random)")
    String uuid;

    @Option(names = "--assume-clean", description = "members already hold consistent parity: skip the initial resync")
    boolean assumeClean;

    @Option(names = {"-f", "--force"}, description = "overwrite members that belong to another md array")
    boolean force;

    @Parameters(arity = "1..*", paramLabel = "MEMBER", description = "member files, block devices, or nbd:// / nbds:// exports")
    List<String> members;

    @Override
    public Integer call() throws Exception {
        if (spareDevices < 0) {
            throw new IllegalArgumentException("--spare-devices wants 0 or more, got " + spareDevices);
        }
        if (members.size() != raidDevices + spareDevices) {
            throw new IllegalArgumentException("--raid-devices " + raidDevices + (spareDevices > 0 ? " and --spare-devices "
                    + spareDevices : "") + " but " + members.size() + " devices were named");
        }
        NewArrayPlan.BitmapKind bitmapKind = switch (bitmap) {
            case "internal" -> NewArrayPlan.BitmapKind.INTERNAL;
            case "none" -> NewArrayPlan.BitmapKind.NONE;
            default -> NewArrayPlan.BitmapKind.FILE;
        };
        Path bitmapFile = bitmapKind == NewArrayPlan.BitmapKind.FILE ? Path.of(bitmap) : null;
        if (bitmapFile != null && Files.exists(bitmapFile)) {
            throw new IllegalArgumentException("bitmap file " + bitmapFile + " already exists");
        }
        long chunkBytes = Sizes.parseBytes(chunk);
        long usedBytes = size == null ? 0 : Sizes.parseBytes(size);
        Layout parsedLayout = Layout.fromName(layout);
        String arrayName = name != null ? name : defaultName(members.get(0));

        List<Path> missing = new ArrayList<>();
        for (String m : members) {
            if (MemberDevices.isPath(m) && !Files.exists(Path.of(m))) {
                missing.add(Path.of(m)); // a member file to make (a remote export must exist already)
            }
        }
        if (!missing.isEmpty() && size == null) {
            throw new IllegalArgumentException(missing.get(0) + " does not exist; give --size to create member files");
        }
        if (!missing.isEmpty()) {
            long fileBytes = memberFileBytes(usedBytes, chunkBytes);
            for (Path m : missing) {
                Path parent = m.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                try (RandomAccessFile f = new RandomAccessFile(m.toFile(), "rw")) {
                    f.setLength(fileBytes); // sparse: reads as zeros
                }
            }
        }
        // Members that are all fresh zeros already have consistent parity (0 xor 0 = 0).
        boolean clean = assumeClean || missing.size() == members.size();

        List<MemberDevice> devices = new ArrayList<>();
        try {
            for (String m : members) {
                devices.add(MemberDevices.open(m, false));
            }
            if (!force) {
                refuseMembersOfOtherArrays(devices);
            }
            NewArrayPlan.Request request = new NewArrayPlan.Request().name(arrayName).raidDisks(raidDevices)
                    .chunkBytes(chunkBytes).layout(parsedLayout).requestedSizeBytes(usedBytes).bitmap(bitmapKind)
                    .assumeClean(clean).daemonSleepSeconds(delay);
            if (dataOffset != null) {
                request.dataOffsetBytes(Sizes.parseBytes(dataOffset));
            }
            if (bitmapChunk != null) {
                request.bitmapChunkBytes(Sizes.parseBytes(bitmapChunk));
            }
            if (uuid != null) {
                request.setUuid(MdUuid.parse(uuid));
            }
            for (int i = 0; i < devices.size(); i++) {
                MemberDevice d = devices.get(i);
                if (i < raidDevices) {
                    request.member(d.path(), d.sizeBytes());
                } else {
                    request.spare(d.path(), d.sizeBytes()); // mdadm -x: the last K named
                }
            }
            NewArrayPlan plan = NewArrayPlan.plan(request);
            plan.warnings().forEach(w -> spec.commandLine().getErr().println("raid5: warning: " + w));
            if (bitmapFile != null) {
                // The file first: superblocks that name no bitmap are harmless if it fails.
                FileBitmapStore.create(bitmapFile, plan.bitmapSuperblock(), !clean).close();
            }
            plan.writeTo(devices);
            spec.commandLine().getOut().printf("raid5: array %s created: %d members%s, %dK chunk, %s, %d bytes, UUID %s%s%n",
                    plan.setName(), raidDevices, spareDevices > 0 ? " + " + spareDevices + " spare" + (spareDevices > 1 ? "s" : "") : "",
                    chunkBytes / 1024, parsedLayout.mdName(), plan.arrayBytes(),
                    MdUuid.format(plan.setUuid()), clean ? "" : " (parity is built by a resync when it is first assembled)");
            if (bitmapFile != null) {
                spec.commandLine().getOut().printf("raid5: bitmap file %s; give it at assembly: raid5d --array %s=... --bitmap %s=%s%n",
                        bitmapFile, plan.setName(), plan.setName(), bitmapFile.toAbsolutePath());
            }
            return 0;
        } finally {
            for (MemberDevice d : devices) {
                d.close();
            }
        }
    }

    /** Size for a new member file: the used size plus the metadata area mdadm would reserve before it. */
    private static long memberFileBytes(long usedBytes, long chunkBytes) {
        long dataSectors = usedBytes / 512;
        long offset = NewArrayPlan.defaultDataOffset(dataSectors + 2048, (int) (chunkBytes / 512));
        // The offset grows with the device; settle on one that fits the device it implies.
        for (int i = 0; i < 4; i++) {
            long next = NewArrayPlan.defaultDataOffset(dataSectors + offset, (int) (chunkBytes / 512));
            if (next == offset) {
                break;
            }
            offset = Math.max(offset, next);
        }
        return (offset + dataSectors) * 512;
    }

    private static void refuseMembersOfOtherArrays(List<MemberDevice> devices) throws IOException {
        for (MemberDevice d : devices) {
            try {
                Superblock sb = SuperblockIo.readForExamine(d);
                throw new IllegalArgumentException(d.path() + " already belongs to md array " + sb.getSetName() + " ("
                        + MdUuid.format(sb.getSetUuid()) + "); use --force to overwrite it");
            } catch (SuperblockException noSuperblock) {
                // nothing there to protect
            }
        }
    }

    /** The member's file name (or a remote export's last path component) up to its first dot. */
    private static String defaultName(String member) {
        String file = member.replaceFirst("[?#].*$", "").replaceFirst("/+$", "");
        file = file.substring(file.lastIndexOf('/') + 1);
        int dot = file.indexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }
}
