package io.raid5d.core.grow;

import static io.raid5d.core.member.MemberDevices.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.core.array.ArrayOperationException;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.Raid5Array;
import io.raid5d.core.array.TestArrays;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.geometry.Layout;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.superblock.NewArrayPlan;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockIo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * md's grow --size max on a running array whose members have room past the used size (created
 * with --size, or replaced by bigger ones): the used size becomes what the smallest member has
 * room for, whole chunks; the old bytes stay, the new rows are resynced (parity right in every
 * row afterwards), the bitmap is remade for the bigger size, and the next assembly has the new
 * size. A writer keeps writing through the change. With no room, a refusal that says what to do.
 */
class GrowSizeTest {
    private static final int CHUNK = 64 << 10;
    private static final long USED = 8L << 20;
    private static final long FILE = 20L << 20;

    @Test
    void sizeMaxUsesTheMembersRoomAndResyncsTheNewRows() throws Exception {
        for (NewArrayPlan.BitmapKind kind : new NewArrayPlan.BitmapKind[] {NewArrayPlan.BitmapKind.INTERNAL,
                NewArrayPlan.BitmapKind.NONE}) {
            Path dir = java.nio.file.Files.createTempDirectory("growsize-" + kind);
            grow(dir, kind);
        }
    }

    private static void grow(Path dir, NewArrayPlan.BitmapKind kind) throws Exception {
        List<Path> paths = GrowFixtures.makeArray(dir, 3, 0, Layout.LEFT_SYMMETRIC, CHUNK, USED, FILE, kind);
        long expectedPerMember;
        try (MemberDevice d = MemberDevices.open(paths.get(0), true)) {
            Superblock sb = SuperblockIo.read(d);
            expectedPerMember = sb.getDataSize() / (CHUNK / 512) * (CHUNK / 512);
        }
        Random junk = new Random(73);
        for (Path p : paths) { // the room past the used size holds what an old disk left there: no parity
            try (MemberDevice d = MemberDevices.open(p, false)) {
                Superblock sb = SuperblockIo.read(d);
                byte[] noise = new byte[(int) ((sb.getDataSize() - sb.getSize()) * 512)];
                junk.nextBytes(noise);
                d.write((sb.getDataOffset() + sb.getSize()) * 512, ByteBuffer.wrap(noise));
            }
        }
        byte[] data;
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            data = new byte[(int) a.sizeBytes()];
            new Random(71).nextBytes(data);
            a.write(0, ByteBuffer.wrap(data), false).get();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            byte[] last = new byte[64 << 10];
            Thread writer = new Thread(() -> { // rewrites one range with the same bytes through the change
                try {
                    System.arraycopy(data, 1 << 20, last, 0, last.length);
                    while (!stop.get()) {
                        a.write(1 << 20, ByteBuffer.wrap(last), false).get();
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            writer.start();
            long grown = a.growSize();
            stop.set(true);
            writer.join(10_000);
            assertEquals(null, failed.get());
            assertEquals(expectedPerMember * 512 * 2, grown, kind + ": whole chunks of the room every member has");
            assertEquals(grown, a.sizeBytes());
            assertEquals(kind == NewArrayPlan.BitmapKind.INTERNAL ? "internal" : "none", a.bitmapLocation());
            a.awaitResync();
            ByteBuffer back = ByteBuffer.allocate(data.length);
            a.read(0, back).get();
            assertArrayEquals(data, back.array(), "the old bytes");
            byte[] tail = new byte[1 << 20];
            new Random(72).nextBytes(tail);
            a.write(grown - tail.length, ByteBuffer.wrap(tail), true).get();
            ByteBuffer tailBack = ByteBuffer.allocate(tail.length);
            a.read(grown - tail.length, tailBack).get();
            assertArrayEquals(tail, tailBack.array(), "the new space is used");
            String why = assertThrows(ArrayOperationException.class, a::growSize).getMessage();
            assertTrue(why.contains("replace the members with bigger ones"), why);
        }
        assertEquals(0, TestArrays.mismatchedSectors(paths), kind + ": parity right in the new rows too");
        for (Path p : paths) {
            try (MemberDevice d = MemberDevices.open(p, true)) {
                assertEquals(expectedPerMember, SuperblockIo.read(d).getSize());
            }
        }
        try (Raid5Array a = ArrayAssembler.assemble("g", names(paths), ArrayOptions.defaults())) {
            assertEquals(expectedPerMember * 512 * 2, a.sizeBytes());
            assertFalse(a.status().state().contains("resync"), a.status().state());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            a.read(0, back).get();
            assertArrayEquals(data, back.array());
        }
    }
}
