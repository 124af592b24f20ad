package io.raid5d.core.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.member.testing.FaultInjectingMemberDevice;
import io.raid5d.core.superblock.Superblock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose copy of the internal bitmap cannot be written is failed, as md does: kept in
 * the array, its stale bitmap copy could be the one a later assembly loads. The data stays
 * correct and the other members' superblocks record the failure.
 */
class BitmapMemberFailureTest {

    @Test
    void aMemberWhoseBitmapCopyCannotBeWrittenIsFailed(@TempDir Path dir) throws Exception {
        List<Path> paths = TestArrays.create(dir, "bf", 4, 16 * 1024, 2L << 20);
        List<FaultInjectingMemberDevice> devices = new ArrayList<>();
        for (Path p : paths) {
            devices.add(new FaultInjectingMemberDevice(MemberDevices.open(p, false)));
        }
        // Writes to member 2's bitmap area (after its superblock, before the data) fail from now on.
        devices.get(2).failWrites(8192, 1 << 20);
        Raid5Array array = ArrayAssembler.assembleDevices("bf", new ArrayList<MemberDevice>(devices),
                ArrayOptions.defaults().withIoThreads(4));
        byte[] data = new byte[300_000];
        new Random(8).nextBytes(data);
        try {
            array.write(12_345, ByteBuffer.wrap(data), false).join(); // sets a bit: a bitmap page write
            for (int i = 0; i < 100 && array.members().slot(2) != MemberSet.Slot.FAULTY; i++) {
                Thread.sleep(100);
            }
            assertEquals(MemberSet.Slot.FAULTY, array.members().slot(2), "the member is failed");
            ByteBuffer back = ByteBuffer.allocate(data.length);
            array.read(12_345, back).join();
            assertArrayEquals(data, back.array(), "degraded reads reconstruct the data");
        } finally {
            array.close();
        }
        Superblock sb0 = ArrayLifecycleTest.superblock(paths.get(0));
        assertEquals(Superblock.ROLE_FAULTY, sb0.getDevRoles()[2], "member 0's superblock records role 2 as faulty");
    }
}
