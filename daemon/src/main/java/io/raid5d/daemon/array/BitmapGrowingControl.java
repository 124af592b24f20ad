package io.raid5d.daemon.array;

import io.raid5d.daemon.control.ControlException;
import java.nio.file.Path;

/**
 * An array's control with {@code grow --bitmap} carried out by a {@link BitmapGrower}; every other
 * operation goes to the control it wraps (the engine adapter of {@link ArrayControls#forEngine}).
 */
public final class BitmapGrowingControl implements ArrayControl {
    private final ArrayControl inner;
    private final BitmapGrower grower;

    public BitmapGrowingControl(ArrayControl inner, BitmapGrower grower) {
        this.inner = inner;
        this.grower = grower;
    }

    @Override
    public void growBitmap(String bitmap) throws ControlException {
        grower.grow(bitmap);
    }

    @Override
    public void fail(String member) throws ControlException {
        inner.fail(member);
    }

    @Override
    public void remove(String member) throws ControlException {
        inner.remove(member);
    }

    @Override
    public void add(Path device) throws ControlException {
        inner.add(device);
    }

    @Override
    public void reAdd(Path device) throws ControlException {
        inner.reAdd(device);
    }

    @Override
    public void check() throws ControlException {
        inner.check();
    }

    @Override
    public void repair() throws ControlException {
        inner.repair();
    }

    @Override
    public int stripeCacheSize() throws ControlException {
        return inner.stripeCacheSize();
    }

    @Override
    public void setStripeCacheSize(int entries) throws ControlException {
        inner.setStripeCacheSize(entries);
    }
}
