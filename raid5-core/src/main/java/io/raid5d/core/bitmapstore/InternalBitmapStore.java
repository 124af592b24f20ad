package io.raid5d.core.bitmapstore;

import io.raid5d.bitmap.BitmapStore;
import io.raid5d.bitmap.format.BitmapFormatException;
import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * md's internal bitmap: the bitmap superblock and bits at superblock + bitmap_offset sectors on
 * every member. Pages are written to every member still in the store and synced on all of them; the
 * bitmap is read from the first member whose copy is valid (readable, right magic and version,
 * this array's UUID, inside the member's metadata area).
 *
 * <p>A member whose bitmap write or sync fails is dropped from the store and reported to the
 * {@link MemberErrorListener} (md fails such a member); the operation succeeds while at least one
 * member took it, and fails once none is left. The store does not own the members: {@link #close()}
 * leaves them open.
 *
 * <p>Threading: {@code WriteIntentBitmap} calls the I/O methods one at a time; {@link #removeMember}
 * may come from any thread. The slot table is guarded by this object's monitor, which is never held
 * across I/O.
 */
public final class InternalBitmapStore implements BitmapStore {

    /** Told when a member's bitmap write or sync failed and the member was dropped from the store. */
    @FunctionalInterface
    public interface MemberErrorListener {
        void bitmapIoFailed(int slot, MemberDevice member, IOException error);
    }

    /**
     * By slot (the caller's numbering, normally the role); null once absent or dropped. Guarded by
     * this; both grow (replaced by longer copies, superblocks first) when an array grows to more members.
     */
    private MemberDevice[] members;
    private volatile Superblock[] superblocks;
    private volatile MemberErrorListener listener = (slot, member, error) -> { };

    private InternalBitmapStore(MemberDevice[] members, Superblock[] superblocks) {
        this.members = members;
        this.superblocks = superblocks;
    }

    /**
     * A store over the members (index = slot; null for a missing member) whose superblocks say where
     * the bitmap is. Every present member's superblock must have an internal bitmap.
     */
    public static InternalBitmapStore of(List<? extends MemberDevice> members, List<Superblock> superblocks) {
        if (members.size() != superblocks.size()) {
            throw new IllegalArgumentException(members.size() + " members but " + superblocks.size() + " superblocks");
        }
        MemberDevice[] devs = new MemberDevice[members.size()];
        Superblock[] sbs = new Superblock[members.size()];
        int present = 0;
        for (int i = 0; i < devs.length; i++) {
            MemberDevice dev = members.get(i);
            if (dev == null) {
                continue;
            }
            Superblock sb = superblocks.get(i);
            if (sb == null || !sb.hasBitmap()) {
                throw new IllegalArgumentException(dev.path() + ": superblock has no internal bitmap");
            }
            devs[i] = dev;
            sbs[i] = sb.copy();
            present++;
        }
        if (present == 0) {
            throw new IllegalArgumentException("an internal bitmap needs at least one member");
        }
        return new InternalBitmapStore(devs, sbs);
    }

    public void setMemberErrorListener(MemberErrorListener listener) {
        this.listener = listener;
    }

    /**
     * Starts writing the bitmap to {@code member} in {@code slot} too (a spare joined); the caller
     * then rewrites every page so the new copy is whole.
     */
    public synchronized void addMember(int slot, MemberDevice member, Superblock superblock) {
        if (!superblock.hasBitmap()) {
            throw new IllegalArgumentException(member.path() + ": superblock has no internal bitmap");
        }
        if (slot >= members.length) { // the array grows: a new member joins past the old count
            superblocks = java.util.Arrays.copyOf(superblocks, slot + 1);
            members = java.util.Arrays.copyOf(members, slot + 1);
        }
        superblocks[slot] = superblock.copy();
        members[slot] = member;
    }

    /** Stops writing the bitmap to the member in {@code slot} (it failed or was removed from the array). */
    public synchronized void removeMember(int slot) {
        members[slot] = null;
    }

    /** Members the bitmap is still written to. */
    public synchronized int memberCount() {
        int n = 0;
        for (MemberDevice m : members) {
            if (m != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized String describe() {
        StringBuilder s = new StringBuilder("internal bitmap on ");
        boolean first = true;
        for (MemberDevice m : members) {
            if (m != null) {
                s.append(first ? "" : ", ").append(m.path());
                first = false;
            }
        }
        return s.toString();
    }

    @Override
    public ByteBuffer readArea() throws BitmapFormatException {
        MemberDevice[] devs = snapshot();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < devs.length; i++) {
            if (devs[i] == null) {
                continue;
            }
            try {
                BitmapSuperblock header = SuperblockIo.readInternalBitmap(devs[i], superblocks[i]);
                ByteBuffer bits = SuperblockIo.readInternalBitmapBits(devs[i], superblocks[i], header);
                ByteBuffer area = ByteBuffer.allocate(BitmapSuperblock.SIZE + bits.remaining());
                header.encodeInto(area);
                area.put(bits);
                area.flip();
                return area;
            } catch (SuperblockException | IOException e) {
                reasons.add(e.getMessage());
            }
        }
        throw new BitmapFormatException("no valid internal bitmap on any member: " + String.join("; ", reasons));
    }

    @Override
    public void writePage(int page, ByteBuffer data) throws IOException {
        MemberDevice[] devs = snapshot();
        int start = data.position();
        List<IOException> errors = new ArrayList<>(0);
        int ok = 0;
        for (int i = 0; i < devs.length; i++) {
            if (devs[i] == null) {
                continue;
            }
            long at = SuperblockIo.internalBitmapByteOffset(superblocks[i]) + (long) page * PAGE_BYTES;
            checkInside(i, devs[i], at, data.limit() - start);
            data.position(start);
            try {
                devs[i].write(at, data);
                ok++;
            } catch (IOException e) {
                errors.add(drop(i, devs[i], new IOException(devs[i].path() + ": cannot write bitmap page " + page
                        + ": " + e.getMessage(), e)));
            }
        }
        data.position(data.limit());
        finish(ok, errors, "write bitmap page " + page);
    }

    @Override
    public void sync() throws IOException {
        MemberDevice[] devs = snapshot();
        List<IOException> errors = new ArrayList<>(0);
        int ok = 0;
        for (int i = 0; i < devs.length; i++) {
            if (devs[i] == null) {
                continue;
            }
            try {
                devs[i].sync();
                ok++;
            } catch (IOException e) {
                errors.add(drop(i, devs[i], new IOException(devs[i].path() + ": cannot sync bitmap: "
                        + e.getMessage(), e)));
            }
        }
        finish(ok, errors, "sync the bitmap");
    }

    /** The members belong to the array; nothing to release here. */
    @Override
    public void close() {
    }

    private synchronized MemberDevice[] snapshot() {
        return members.clone();
    }

    private IOException drop(int slot, MemberDevice dev, IOException error) {
        synchronized (this) {
            if (members[slot] == dev) {
                members[slot] = null;
            }
        }
        listener.bitmapIoFailed(slot, dev, error);
        return error;
    }

    private static void finish(int ok, List<IOException> errors, String what) throws IOException {
        if (ok == 0) {
            IOException e = new IOException("cannot " + what + " on any member"
                    + (errors.isEmpty() ? "" : ": " + errors.get(0).getMessage()));
            for (IOException each : errors) {
                e.addSuppressed(each);
            }
            throw e;
        }
    }

    /** A page must stay between the bitmap's start and the data (a bug otherwise, never a disk error). */
    private void checkInside(int slot, MemberDevice dev, long at, int length) {
        Superblock sb = superblocks[slot];
        if (sb.getBitmapOffset() > 0 && at + length > sb.getDataOffset() * 512) {
            throw new IllegalArgumentException(dev.path() + ": bitmap write of " + length + " bytes at byte " + at
                    + " would reach the data at sector " + sb.getDataOffset());
        }
    }
}
