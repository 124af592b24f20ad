package io.raid5d.core.crash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Builds what the devices could hold after a crash at a cut point of a {@link CrashJournal}.
 *
 * <p>A write is surely on disk if a sync of its device started after the write completed and
 * finished before the cut; any other completed write may or may not be (the page cache writes
 * back in any order), so a crash image keeps a random subset of them, in journal order, and
 * may tear the last one kept (only a prefix of its sectors lands). Walking the journal once
 * keeps the "surely durable" images up to date, so thousands of cuts stay cheap.
 */
final class CrashImages {
    private final byte[][] durable; // by device
    private final List<List<CrashJournal.Event>> pending = new ArrayList<>(); // by device, journal order
    private final List<CrashJournal.Event> events;
    private int position;

    CrashImages(byte[][] initial, List<CrashJournal.Event> events) {
        this.durable = new byte[initial.length][];
        for (int d = 0; d < initial.length; d++) {
            durable[d] = initial[d].clone();
            pending.add(new ArrayList<>());
        }
        this.events = events;
    }

    int length() {
        return events.size();
    }

    /** Moves the cut forward to just before event {@code cut}. Cuts must not go backwards. */
    void advanceTo(int cut) {
        for (; position < cut; position++) {
            CrashJournal.Event e = events.get(position);
            switch (e.kind()) {
                case WRITE -> pending.get(e.device()).add(e);
                case SYNC_DONE -> settle(e.device(), (int) e.offset());
                case SYNC_START -> { }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** Writes journaled before sync start {@code syncStart} became durable when that sync finished. */
    private void settle(int device, int syncStart) {
        List<CrashJournal.Event> list = pending.get(device);
        int kept = 0;
        for (CrashJournal.Event w : list) {
            if (w.index() < syncStart) {
                apply(durable[device], w, w.data().length);
            } else {
                list.set(kept++, w);
            }
        }
        list.subList(kept, list.size()).clear();
    }

    /** One possible state of every device after a crash at the current cut. */
    byte[][] crash(Random random, boolean keepUnsynced, boolean tear) {
        byte[][] image = new byte[durable.length][];
        for (int d = 0; d < durable.length; d++) {
            image[d] = durable[d].clone();
            List<CrashJournal.Event> list = pending.get(d);
            for (int i = 0; i < list.size(); i++) {
                if (!keepUnsynced || !random.nextBoolean()) {
                    continue;
                }
                CrashJournal.Event w = list.get(i);
                int len = w.data().length;
                if (tear && i == list.size() - 1 && len > 512) {
                    len = 512 * (1 + random.nextInt(len / 512)); // a prefix of whole sectors
                }
                apply(image[d], w, len);
            }
        }
        return image;
    }

    /** Applies every journaled write: the state had the run ended cleanly. */
    byte[][] everything() {
        byte[][] image = new byte[durable.length][];
        for (int d = 0; d < durable.length; d++) {
            image[d] = durable[d].clone();
            for (CrashJournal.Event w : pending.get(d)) {
                apply(image[d], w, w.data().length);
            }
        }
        return image;
    }

    private static void apply(byte[] image, CrashJournal.Event w, int len) {
        if (w.offset() + len > image.length) {
            throw new IllegalStateException("journaled write beyond the device: " + w.offset() + "+" + len);
        }
        System.arraycopy(w.data(), 0, image, (int) w.offset(), len);
    }

    static byte[][] copyOf(byte[][] images) {
        return Arrays.stream(images).map(byte[]::clone).toArray(byte[][]::new);
    }
}
