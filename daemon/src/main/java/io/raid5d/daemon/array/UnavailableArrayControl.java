package io.raid5d.daemon.array;

import io.raid5d.daemon.control.ControlException;
import java.nio.file.Path;

/**
 * The control of an engine that has none of the management features yet (today's plain
 * engine): every operation is refused, naming the engine feature it waits for. Nothing is
 * changed by a refused operation.
 */
public final class UnavailableArrayControl implements ArrayControl {
    static final String DEGRADED = "degraded mode is not available yet (issue #5)";
    static final String SCRUB = "online check/repair is not available yet (issue #5); stop the array and use 'raid5 check --offline'";
    static final String BITMAP = "the write-intent bitmap engine is not available yet (issue #4)";
    static final String STRIPE_CACHE = "the stripe cache is not available yet (issue #3)";

    private final String array;

    public UnavailableArrayControl(String array) {
        this.array = array;
    }

    private ControlException refuse(String verb, String why) {
        return new ControlException(verb + " " + array + ": " + why);
    }

    @Override
    public void fail(String member) throws ControlException {
        throw refuse("fail", DEGRADED);
    }

    @Override
    public void remove(String member) throws ControlException {
        throw refuse("remove", DEGRADED);
    }

    @Override
    public void add(Path device) throws ControlException {
        throw refuse("add", DEGRADED);
    }

    @Override
    public void reAdd(Path device) throws ControlException {
        throw refuse("re-add", DEGRADED);
    }

    @Override
    public void check() throws ControlException {
        throw refuse("check", SCRUB);
    }

    @Override
    public void repair() throws ControlException {
        throw refuse("repair", SCRUB);
    }

    @Override
    public void growBitmap(String bitmap) throws ControlException {
        throw refuse("grow --bitmap", BITMAP);
    }

    @Override
    public int stripeCacheSize() throws ControlException {
        throw refuse("stripe-cache", STRIPE_CACHE);
    }

    @Override
    public void setStripeCacheSize(int entries) throws ControlException {
        throw refuse("stripe-cache", STRIPE_CACHE);
    }
}
