package io.raid5d.core.assembly;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.TestArrays;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal names the member and the reason, and nothing is written while refusing. */
class ArrayAssemblerTest {

    private static List<Path> create(Path dir, String name, int n) throws Exception {
        return TestArrays.create(dir, name, n, 5 << 20, new NewArrayPlan.Request().name(name).raidDisks(n)
                .chunkBytes(64 * 1024).requestedSizeBytes(4 << 20).assumeClean(true));
    }

    private static String refusal(List<Path> paths) throws Exception {
        List<String> before = digests(paths);
        AssemblyException e = assertThrows(AssemblyException.class, () -> ArrayAssembler.open(names(paths), false).close());
        assertEquals(before, digests(paths), "refusing must not write");
        return e.getMessage();
    }

    @Test
    void acceptsItsOwnMembersInAnyOrder(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "ok", 4);
        List<Path> shuffled = List.of(paths.get(2), paths.get(0), paths.get(3), paths.get(1));
        try (AssembledMembers am = ArrayAssembler.open(names(shuffled), true)) {
            for (int role = 0; role < 4; role++) {
                assertEquals(paths.get(role).toString(), am.members().member(role).path());
            }
        }
    }

    @Test
    void memberOfAnotherArray(@TempDir Path dir) throws Exception {
        List<Path> a = create(dir, "a", 4);
        List<Path> b = create(dir, "b", 4);
        List<Path> mixed = new ArrayList<>(a);
        mixed.set(1, b.get(1));
        String m = refusal(mixed);
        assertTrue(m.contains(b.get(1).toString()) && m.contains("another array"), m);
    }

    @Test
    void duplicateRole(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "dup", 4);
        Files.copy(paths.get(0), paths.get(2), StandardCopyOption.REPLACE_EXISTING);
        String m = refusal(paths);
        assertTrue(m.contains("both claim role 0"), m);
    }

    @Test
    void staleMember(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "st", 4);
        for (int i = 0; i < 4; i++) {
            if (i == 3) {
                continue;
            }
            try (MemberDevice d = MemberDevices.open(paths.get(i), false)) {
                Superblock sb = SuperblockIo.read(d);
                sb.setEvents(sb.getEvents() + 5);
                SuperblockIo.write(d, sb);
            }
        }
        String m = refusal(paths); // open() wants every member: an offline check cannot use a stale one
        assertTrue(m.contains(paths.get(3).toString()) && m.contains("possibly out of date")
                && m.contains("kicking non-fresh"), m);
    }

    @Test
    void badChecksum(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "cs", 3);
        try (RandomAccessFile f = new RandomAccessFile(paths.get(1).toFile(), "rw")) {
            f.seek(4096 + 200); // utime
            f.write(0x42);
        }
        String m = refusal(paths);
        assertTrue(m.contains(paths.get(1).toString()) && m.contains("checksum"), m);
    }

    @Test
    void truncatedMember(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "tr", 3);
        try (RandomAccessFile f = new RandomAccessFile(paths.get(2).toFile(), "rw")) {
            f.setLength(2 << 20);
        }
        String m = refusal(paths);
        assertTrue(m.contains(paths.get(2).toString()) && m.contains("truncated"), m);
    }

    @Test
    void wrongNumberOfMembers(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "cnt", 4);
        String m = refusal(paths.subList(0, 3));
        assertTrue(m.contains("4 raid devices but 3 members"), m);
    }

    @Test
    void missingMemberAndNotAMember(@TempDir Path dir) throws Exception {
        List<Path> paths = new ArrayList<>(create(dir, "mi", 3));
        paths.set(1, dir.resolve("gone.img"));
        AssemblyException e = assertThrows(AssemblyException.class, () -> ArrayAssembler.open(names(paths), false));
        assertTrue(e.getMessage().contains("gone.img"), e.getMessage());

        Path plain = dir.resolve("plain.img");
        Files.write(plain, new byte[1 << 20]);
        paths.set(1, plain);
        AssemblyException e2 = assertThrows(AssemblyException.class, () -> ArrayAssembler.open(names(paths), false));
        assertTrue(e2.getMessage().contains("plain.img") && e2.getMessage().contains("no md superblock"), e2.getMessage());
    }

    @Test
    void memberAlreadyInUse(@TempDir Path dir) throws Exception {
        List<Path> paths = create(dir, "busy", 3);
        try (AssembledMembers first = ArrayAssembler.open(names(paths), false)) {
            AssemblyException e = assertThrows(AssemblyException.class, () -> ArrayAssembler.open(names(paths), false));
            assertTrue(e.getMessage().contains(paths.get(0).toString()) && e.getMessage().contains("busy"), e.getMessage());
        }
    }

    private static List<String> digests(List<Path> paths) throws Exception {
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.exists(p)) {
                out.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }
}
