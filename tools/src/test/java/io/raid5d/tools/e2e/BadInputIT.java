package io.raid5d.tools.e2e;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raid5d.nbd.protocol.Command;
import io.raid5d.nbd.protocol.Errno;
import io.raid5d.nbd.protocol.HandshakeFlags;
import io.raid5d.nbd.testing.RawNbdClient;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a clear refusal and changes nothing on the members. */
class BadInputIT {

    @Test
    void corruptSuperblockIsRefusedNamingTheMember(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "bad", 4, "64K", "32M");
        try (RandomAccessFile f = new RandomAccessFile(members.get(1).toFile(), "rw")) {
            f.seek(4096 + 40); // inside set_name: only the checksum can tell
            f.write(f.read() ^ 0x5a);
        }
        List<String> before = Members.sha256All(members);
        Cmd.Result r = DaemonProcess.startExpectingFailure(dir, "--array", Members.arrayArg("bad", members));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains(members.get(1).toString()) && r.err().toLowerCase().contains("checksum"), r.err());
        assertEquals(before, Members.sha256All(members));
    }

    @Test
    void memberOfAnotherArrayIsRefused(@TempDir Path dir) throws Exception {
        List<Path> a = Members.create(dir, "a", 4, "64K", "32M");
        List<Path> b = Members.create(dir, "b", 4, "64K", "32M");
        List<Path> mixed = new ArrayList<>(a);
        mixed.set(2, b.get(2));
        List<String> before = Members.sha256All(mixed);
        Cmd.Result r = DaemonProcess.startExpectingFailure(dir, "--array", Members.arrayArg("a", mixed));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains(b.get(2).toString()) && r.err().contains("another array"), r.err());
        assertEquals(before, Members.sha256All(mixed));
    }

    @Test
    void truncatedMemberIsRefused(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "t", 4, "64K", "32M");
        try (RandomAccessFile f = new RandomAccessFile(members.get(3).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        List<String> before = Members.sha256All(members);
        Cmd.Result r = DaemonProcess.startExpectingFailure(dir, "--array", Members.arrayArg("t", members));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains(members.get(3).toString()) && r.err().contains("truncated"), r.err());
        assertEquals(before, Members.sha256All(members));
    }

    @Test
    void missingMemberIsRefused(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "miss", 3, "64K", "32M");
        List<Path> named = new ArrayList<>(members);
        named.set(1, dir.resolve("nonexistent.img"));
        Cmd.Result r = DaemonProcess.startExpectingFailure(dir, "--array", Members.arrayArg("miss", named));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("nonexistent.img"), r.err());
    }

    /** One request, its simple reply's error (reading the data of a successful READ). */
    private static int request(RawNbdClient c, int type, long offset, int length, byte[] payload) throws Exception {
        c.sendRequest(0, type, ++handles, offset, length, payload);
        RawNbdClient.Reply r = c.readReply();
        assertEquals(handles, r.handle());
        if (r.error() == Errno.OK && type == Command.READ) {
            c.readBytes(length);
        }
        return r.error();
    }

    private static long handles;

    @Test
    void requestsBeyondTheEndGetEinvalAndWriteNothing(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "end", 3, "64K", "32M");
        try (DaemonProcess d = DaemonProcess.start(dir, "--array", Members.arrayArg("end", members))) {
            try (RawNbdClient c = RawNbdClient.handshake(new java.net.InetSocketAddress("127.0.0.1", d.port()),
                    HandshakeFlags.CLIENT_FIXED_NEWSTYLE | HandshakeFlags.CLIENT_NO_ZEROES)) {
                long size = c.go("end").size();
                assertEquals(2L * 32 * 1024 * 1024, size);
                assertEquals(Errno.EINVAL, request(c, Command.READ, size, 4096, null));
                assertEquals(Errno.EINVAL, request(c, Command.READ, size - 512, 4096, null));
                byte[] junk = new byte[8192];
                java.util.Arrays.fill(junk, (byte) 0xee);
                assertEquals(Errno.EINVAL, request(c, Command.WRITE, size - 4096, 8192, junk));
                assertEquals(Errno.EINVAL, request(c, Command.WRITE, Long.MAX_VALUE - 10, 8192, junk));
                // The connection is still usable after the refusals.
                assertEquals(Errno.OK, request(c, Command.READ, size - 4096, 4096, null));
            }
            assertEquals(0, d.stop(), d.log());
        }
        // Nothing of the refused writes reached a member: no 0xee bytes anywhere.
        for (Path m : members) {
            byte[] all = java.nio.file.Files.readAllBytes(m);
            for (int i = 0; i + 8 <= all.length; i++) {
                boolean run = true;
                for (int k = 0; k < 8 && run; k++) {
                    run = all[i + k] == (byte) 0xee;
                }
                if (run) {
                    throw new AssertionError("refused write's bytes found on " + m + " at " + i);
                }
            }
        }
        String check = Cmd.raid5(Members.pathArgs("check --offline", members)).requireOk().out();
        assertTrue(check.contains(" 0 mismatched sectors"), check);
    }

    @Test
    void offlineCheckCountsACorruptedParityBlock(@TempDir Path dir) throws Exception {
        List<Path> members = Members.create(dir, "chk", 4, "64K", "8M");
        // Row 0 of left-symmetric on 4 members keeps parity on member 3; its data starts at 1 MiB.
        try (RandomAccessFile f = new RandomAccessFile(members.get(3).toFile(), "rw")) {
            f.seek((1 << 20) + 5000);
            f.write(0x77);
        }
        Cmd.Result r = Cmd.raid5(Members.pathArgs("check --offline", members));
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains(" 8 mismatched sectors"), r.out());
        assertTrue(r.err().contains("parity mismatches: 8 sectors in 1 stripes"), r.err());
    }

    @Test
    void createRefusesToOverwriteAnotherArraysMember(@TempDir Path dir) throws Exception {
        List<Path> a = Members.create(dir, "keep", 3, "64K", "8M");
        List<String> before = Members.sha256All(a);
        Cmd.Result r = Cmd.raid5(Members.pathArgs("create --raid-devices 3 --name other", a));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("already belongs to md array keep") && r.err().contains("--force"), r.err());
        assertEquals(before, Members.sha256All(a));
    }
}
