package io.raid5d.core.assembly;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.LeftOutMember;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Assembly decides membership as mdadm's Assemble.c and the kernel's super_1_validate do: the
 * freshest superblock decides; out-of-date members (more than one event behind), members it
 * records faulty or removed, and members that record it as failed are left out, and a clean
 * array starts degraded without them. Too few fresh members are refused, naming each; force
 * takes the freshest out-of-date member back in.
 */
class AssemblyByMdRulesTest {

    private static List<Path> create(Path dir, String name) throws Exception {
        return TestArrays.create(dir, name, 4, 5 << 20, new NewArrayPlan.Request().name(name).raidDisks(4)
                .chunkBytes(64 * 1024).requestedSizeBytes(4 << 20).assumeClean(true));
    }

    /** Reads the superblock from the file's bytes (also while this process holds the member). */
    private static Superblock read(Path p) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer area = ByteBuffer.allocate(SuperblockIo.SUPERBLOCK_AREA_BYTES);
            ch.read(area, 4096);
            return Superblock.decode(area.flip());
        }
    }

    private static void edit(Path p, Consumer<Superblock> change) throws Exception {
        try (MemberDevice d = MemberDevices.open(p, false)) {
            Superblock sb = SuperblockIo.read(d);
            change.accept(sb);
            SuperblockIo.write(d, sb);
            d.sync();
        }
    }

    /** What md does to the others when {@code failed} fails: its slot 0xfffe, events+1 (the failed one keeps its old superblock). */
    private static void recordFailure(List<Path> paths, int failed, int extraEvents) throws Exception {
        int dev = read(paths.get(failed)).getDevNumber();
        for (int i = 0; i < paths.size(); i++) {
            if (i != failed) {
                edit(paths.get(i), sb -> {
                    sb.setRole(dev, Superblock.ROLE_FAULTY);
                    sb.setEvents(sb.getEvents() + 1 + extraEvents);
                });
            }
        }
    }

    private static Raid5Array assemble(List<Path> paths, boolean force) throws Exception {
        return ArrayAssembler.assemble("t", names(paths), ArrayOptions.defaults(), force);
    }

    @Test
    void anOutOfDateMemberIsLeftOutAndTheCleanArrayStartsDegradedWithItsData(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "ood");
        byte[] before = new byte[256 * 1024];
        new Random(1).nextBytes(before);
        byte[] after = new byte[100_000];
        new Random(2).nextBytes(after);
        try (Raid5Array a = assemble(paths, false)) {
            a.write(0, ByteBuffer.wrap(before), false).get();
            a.failMember(paths.get(1).toString());
            a.write(70_001, ByteBuffer.wrap(after), false).get(); // written while degraded: m1 never sees it
        }
        assertTrue(read(paths.get(1)).getEvents() + 1 < read(paths.get(0)).getEvents(), "m1 missed more than one update");

        byte[] want = before.clone();
        System.arraycopy(after, 0, want, 70_001, after.length);
        try (Raid5Array a = assemble(paths, false)) {
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(1));
            assertEquals(1, a.leftOut().size());
            LeftOutMember m = a.leftOut().get(0);
            assertEquals(paths.get(1).toString(), m.path());
            assertEquals(1, m.role());
            assertEquals(LeftOutMember.Reason.OUT_OF_DATE, m.reason());
            assertFalse(m.mayReAddAutomatically(), "recorded faulty: an admin decides");
            assertTrue(m.describe().contains("possibly out of date") && m.describe().contains("kicking non-fresh "
                    + paths.get(1) + " from array!"), m.describe());
            assertTrue(a.health().outNotes().get(1).startsWith("out of date: " + paths.get(1)), a.health().outNotes().toString());
            ByteBuffer got = ByteBuffer.allocate(want.length);
            a.read(0, got).get();
            assertArrayEquals(want, got.array(), "the data written before and after the failure, m1 reconstructed");
        }
    }

    @Test
    void oneEventBehindIsFreshButItsRoleComesFromTheFreshest(@TempDir Path dir) throws Exception {
        // a crash while the superblocks were being updated: md's margin of one keeps the member
        List<Path> paths = create(dir, "margin");
        for (int i = 0; i < 3; i++) {
            edit(paths.get(i), sb -> sb.setEvents(sb.getEvents() + 1));
        }
        try (AssembledMembers am = ArrayAssembler.open(names(paths), false)) {
            assertFalse(am.members().degraded());
            assertTrue(am.leftOut().isEmpty());
            long events = am.superblocks().get(0).getEvents();
            for (Superblock sb : am.superblocks()) {
                assertEquals(events, sb.getEvents(), "every member takes the freshest events");
            }
        }
    }

    @Test
    void oneEventBehindButRecordedFaultyIsLeftOut(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "flt");
        recordFailure(paths, 2, 0); // the fail itself: others at events+1, m2 at events
        try (Raid5Array a = assemble(paths, false)) {
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(2));
            assertEquals(LeftOutMember.Reason.FAULTY, a.leftOut().get(0).reason());
            assertTrue(a.leftOut().get(0).describe().contains("recorded faulty"), a.leftOut().get(0).describe());
        }
        String strict = assertThrows(AssemblyException.class, () -> ArrayAssembler.open(names(paths), true)).getMessage();
        assertTrue(strict.contains(paths.get(2).toString()) && strict.contains("faulty"), strict);
    }

    @Test
    void oneEventBehindButRecordedRemovedIsLeftOut(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "rem");
        int dev = read(paths.get(3)).getDevNumber();
        for (int i = 0; i < 3; i++) {
            edit(paths.get(i), sb -> {
                sb.setRole(dev, Superblock.ROLE_SPARE);
                sb.setEvents(sb.getEvents() + 1);
            });
        }
        try (Raid5Array a = assemble(paths, false)) {
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(3));
            LeftOutMember m = a.leftOut().get(0);
            assertEquals(LeftOutMember.Reason.REMOVED, m.reason());
            assertTrue(m.mayReAddAutomatically(), "removed or absent, never failed");
        }
    }

    @Test
    void anAbsentMemberIsRecordedRemovedSoItIsNotTrustedOneEventBehind(@TempDir Path dir) throws Exception {
        // Started without m3: from the first update its slot says unused (as md's super_1_sync).
        // Otherwise a crash right after that update would leave m3 one event behind and trusted.
        List<Path> paths = create(dir, "abs");
        int dev = read(paths.get(3)).getDevNumber();
        long events = read(paths.get(0)).getEvents();
        Raid5Array a = assemble(paths.subList(0, 3), false);
        assertEquals(Superblock.ROLE_SPARE, read(paths.get(0)).roleOf(dev), "recorded at the first update (markActive)");
        assertEquals(events + 1, read(paths.get(0)).getEvents());
        a.close();
        for (int i = 0; i < 3; i++) { // as if killed right after markActive: one event ahead of m3
            edit(paths.get(i), sb -> sb.setEvents(events + 1));
        }
        try (Raid5Array again = assemble(paths, true)) { // dirty + degraded needs force
            assertEquals(MemberSet.Slot.MISSING, again.members().slot(3), "not trusted despite md's margin of one");
            assertEquals(LeftOutMember.Reason.REMOVED, again.leftOut().get(0).reason());
        }
    }

    @Test
    void aMemberThatReportsTheFreshestFailedIsIgnored(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "split");
        int dev0 = read(paths.get(0)).getDevNumber();
        edit(paths.get(0), sb -> sb.setEvents(sb.getEvents() + 1)); // m0 is the freshest
        edit(paths.get(1), sb -> sb.setRole(dev0, Superblock.ROLE_FAULTY)); // m1 thinks m0 failed
        try (Raid5Array a = assemble(paths, false)) {
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(1));
            LeftOutMember m = a.leftOut().get(0);
            assertEquals(LeftOutMember.Reason.REPORTS_FRESHEST_FAILED, m.reason());
            assertTrue(m.describe().startsWith("ignoring " + paths.get(1) + " as it reports " + paths.get(0) + " as failed"),
                    m.describe());
        }
    }

    @Test
    void twoOutAreRefusedNamingEachAndForceTakesTheFreshestOutOfDateOneIn(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "two");
        long base = read(paths.get(0)).getEvents();
        edit(paths.get(1), sb -> sb.setEvents(base + 3));
        edit(paths.get(2), sb -> sb.setEvents(base + 5)); // the "cable": left later, fresher
        edit(paths.get(0), sb -> sb.setEvents(base + 9));
        edit(paths.get(3), sb -> sb.setEvents(base + 9));
        List<String> before = digests(paths);
        String m = assertThrows(AssemblyException.class, () -> assemble(paths, false)).getMessage();
        assertEquals(before, digests(paths), "refusing writes nothing");
        assertTrue(m.contains("only 2 of its 4 members are fresh"), m);
        assertTrue(m.contains("Role 1: " + paths.get(1) + " (events " + (base + 3) + ", out of date)"), m);
        assertTrue(m.contains("Role 2: " + paths.get(2) + " (events " + (base + 5) + ", out of date)"), m);
        assertTrue(m.contains("--force"), m);

        try (Raid5Array a = assemble(paths, true)) {
            assertEquals(MemberSet.Slot.IN_SYNC, a.members().slot(2), "the freshest out-of-date member is forced in");
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(1));
            assertTrue(a.members().degraded());
        }
        Superblock m2 = read(paths.get(2));
        assertEquals(read(paths.get(0)).getEvents(), m2.getEvents(), "its event count was raised with the others'");
        assertEquals(2, read(paths.get(0)).roleOf(m2.getDevNumber()), "recorded active again");
    }

    @Test
    void forceMessagesSayWhatWasForced(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "fm");
        long base = read(paths.get(0)).getEvents();
        edit(paths.get(1), sb -> sb.setEvents(base + 3));
        edit(paths.get(2), sb -> sb.setEvents(base + 5));
        edit(paths.get(0), sb -> sb.setEvents(base + 9));
        edit(paths.get(3), sb -> sb.setEvents(base + 9));
        List<MemberDevice> open = new ArrayList<>();
        for (Path p : paths) {
            open.add(MemberDevices.open(p, false));
        }
        try (AssembledMembers am = ArrayAssembler.openDevices(open, true)) {
            assertEquals(1, am.forced().size());
            String f = am.forced().get(0);
            assertTrue(f.startsWith("forcing event count in " + paths.get(2) + "(2) from " + (base + 5) + " up to " + (base + 9)), f);
            assertEquals(1, am.leftOut().size(), "m1 stays out");
        }
    }

    @Test
    void dirtyAndDegradedByALeftOutMemberIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "dirty");
        recordFailure(paths, 1, 3);
        for (int i : new int[] {0, 2, 3}) {
            edit(paths.get(i), sb -> sb.setResyncOffset(0));
        }
        String m = assertThrows(AssemblyException.class, () -> assemble(paths, false)).getMessage();
        assertTrue(m.contains(ArrayAssembler.WRITE_HOLE), m);
        try (Raid5Array a = assemble(paths, true)) {
            assertEquals(MemberSet.Slot.MISSING, a.members().slot(1));
        }
    }

    private static List<String> digests(List<Path> paths) throws Exception {
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            out.add(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(p))));
        }
        return out;
    }
}
