package io.raid5d.tools;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.ExamineReport;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code raid5 examine}: prints each member's md superblock as {@code mdadm --examine} does. Read-only. */
@Command(name = "examine", description = "Print members' md v1.2 superblocks, like mdadm --examine.")
final class ExamineCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "MEMBER", description = "member files, block devices, or nbd:// / nbds:// exports")
    List<String> members;

    @Override
    public Integer call() throws Exception {
        for (String p : members) {
            try (MemberDevice dev = MemberDevices.open(p, true)) {
                Superblock sb = SuperblockIo.readForExamine(dev);
                BitmapSuperblock bitmap = null;
                if (sb.hasBitmap()) {
                    try {
                        bitmap = SuperblockIo.readInternalBitmap(dev, sb);
                    } catch (SuperblockException e) {
                        spec.commandLine().getErr().println("raid5: warning: " + e.getMessage());
                    }
                }
                spec.commandLine().getOut().print(ExamineReport.format(dev.path(), sb, dev.sizeBytes() / 512, bitmap,
                        null, ZoneId.systemDefault()));
            }
        }
        return 0;
    }
}
