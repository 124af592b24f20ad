package io.raid5d.core.array;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The array's {@link ArrayListener}s; a listener that throws is logged and the others still hear the event. */
final class ArrayEvents {
    private static final Logger LOG = Logger.getLogger(Raid5Array.class.getName());

    private final String name;
    private final List<ArrayListener> listeners = new CopyOnWriteArrayList<>();

    ArrayEvents(String name) {
        this.name = name;
    }

    void add(ArrayListener l) {
        listeners.add(l);
    }

    void remove(ArrayListener l) {
        listeners.remove(l);
    }

    void fire(ArrayListener.Kind kind, String member, int percent) {
        for (ArrayListener l : listeners) {
            try {
                l.onArrayEvent(kind, member, percent);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "array " + name + ": listener failed", e);
            }
        }
    }
}
