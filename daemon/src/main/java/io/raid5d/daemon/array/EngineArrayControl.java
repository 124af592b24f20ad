package io.raid5d.daemon.array;

import io.raid5d.core.array.ArrayOperationException;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.daemon.control.ControlException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The management operations of the stripe cache engine ({@link ManagedArray}): fail, remove, add,
 * re-add (degraded mode and rebuild), check/repair (online scrub), and the stripe cache size.
 * The write-intent bitmap's {@code grow --bitmap} still waits for its engine (issue #4).
 */
public final class EngineArrayControl implements ArrayControl {
    private final ManagedArray array;

    public EngineArrayControl(ManagedArray array) {
        this.array = array;
    }

    @FunctionalInterface
    private interface Op {
        void run() throws ArrayOperationException, IOException;
    }

    private void call(String verb, Op op) throws ControlException {
        try {
            op.run();
        } catch (ArrayOperationException e) {
            throw new ControlException(verb + " " + array.name() + ": " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new ControlException(verb + " " + array.name() + " failed: " + e.getMessage());
        }
    }

    @Override
    public void fail(String member) throws ControlException {
        call("fail", () -> array.failMember(member));
    }

    @Override
    public void remove(String member) throws ControlException {
        call("remove", () -> array.removeMember(member));
    }

    @Override
    public void add(String device) throws ControlException {
        call("add", () -> array.addSpare(device));
    }

    @Override
    public void reAdd(String device) throws ControlException {
        call("re-add", () -> array.reAddMember(device));
    }

    @Override
    public void check() throws ControlException {
        call("check", () -> array.startScrub(false));
    }

    @Override
    public void repair() throws ControlException {
        call("repair", () -> array.startScrub(true));
    }

    @Override
    public void growBitmap(String bitmap) throws ControlException {
        new BitmapGrower(array).grow(bitmap);
    }

    @Override
    public void growMembers(int raidDisks) throws ControlException {
        call("grow", () -> array.grow(raidDisks));
    }

    @Override
    public long growSize() throws ControlException {
        long[] size = new long[1];
        call("grow", () -> size[0] = array.growSize());
        return size[0];
    }

    @Override
    public int stripeCacheSize() {
        return array.stripeCacheSize();
    }

    @Override
    public void setStripeCacheSize(int entries) throws ControlException {
        try {
            array.setStripeCacheSize(entries);
        } catch (IllegalArgumentException e) {
            throw new ControlException("stripe-cache " + array.name() + ": " + e.getMessage());
        }
    }
}
