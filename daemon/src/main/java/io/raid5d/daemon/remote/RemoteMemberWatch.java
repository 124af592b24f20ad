package io.raid5d.daemon.remote;

import io.raid5d.core.array.ArrayHealth;
import io.raid5d.core.array.ArrayOperationException;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDevices;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Brings remote members back: when a member that is an {@code nbd://} export has failed (its
 * host died, the link went down, requests timed out) or was never reached, this watch tries its
 * server again, with a backoff of 1 s doubling to {@link #MAX_BACKOFF_MILLIS}; once the export
 * answers and still carries this array's superblock for the missing role, it is removed (if
 * faulty) and re-added, so only the chunks the bitmap marks dirty are copied (md's re-add). If
 * the bitmap cannot cover the time it was away (no bitmap, or its events are older than the
 * bitmap's events_cleared), or the policy is manual (POLICY action=incremental), it waits for an
 * admin, saying so once.
 *
 * <p>Threads: {@link #tick} runs on one scheduler thread only; the fields are confined to it.
 * The arrays it acts on are thread-safe ({@link ManagedArray}).
 */
public final class RemoteMemberWatch {
    private static final Logger LOG = Logger.getLogger(RemoteMemberWatch.class.getName());
    static final long FIRST_BACKOFF_MILLIS = 1000;
    static final long MAX_BACKOFF_MILLIS = 30_000;

    /**
     * A running array as the watch sees it: its name, engine, the remote members it may have
     * (given or configured), and those the admin failed or removed (left alone until the admin
     * adds or re-adds them: a member pulled on purpose is not put back behind the admin's back).
     */
    public record Watched(String name, ManagedArray engine, Set<String> remoteNames, Set<String> heldByAdmin) {}

    private final Supplier<List<Watched>> arrays;
    private final Supplier<Boolean> autoReAdd;
    /** Remote members seen in each array, by array then name: what to look for once they are gone. */
    private final Map<String, Set<String>> known = new HashMap<>();
    /** Next attempt (System.nanoTime) and current backoff, by "array name"; absent = try now. */
    private final Map<String, long[]> backoff = new HashMap<>();
    /** What was last logged of each "array name" that is not back yet: said again only when it changes. */
    private final Map<String, String> lastSaid = new HashMap<>();
    /** Members already said to wait for an admin (said once until something changes). */
    private final Set<String> waiting = new java.util.HashSet<>();

    public RemoteMemberWatch(Supplier<List<Watched>> arrays, Supplier<Boolean> autoReAdd) {
        this.arrays = arrays;
        this.autoReAdd = autoReAdd;
    }

    /** One round over every running array. Scheduler thread. */
    public void tick() {
        List<Watched> running = arrays.get();
        // what is kept of arrays that stopped goes with them
        java.util.Set<String> names = new java.util.HashSet<>();
        running.forEach(w -> names.add(w.name()));
        known.keySet().retainAll(names);
        java.util.function.Predicate<String> gone = key -> !names.contains(key.substring(0, key.indexOf(' ')));
        backoff.keySet().removeIf(gone);
        lastSaid.keySet().removeIf(gone);
        waiting.removeIf(gone);
        for (Watched w : running) {
            try {
                watch(w);
            } catch (RuntimeException e) {
                LOG.warning("array " + w.name() + ": remote member watch: " + e);
            }
        }
    }

    private void watch(Watched w) {
        ArrayHealth h = w.engine().health();
        Set<String> names = known.computeIfAbsent(w.name(), k -> new LinkedHashSet<>());
        w.remoteNames().forEach(names::add);
        for (String d : h.devices()) {
            if (!MemberDevices.isPath(d) && !d.equals("missing")) {
                names.add(d);
            }
        }
        names.removeIf(n -> w.heldByAdmin().contains(MemberDevices.canonicalName(n)) && !h.devices().contains(n));
        if (h.failed() || h.rebuildRunning()) {
            return; // nothing to do for a failed array; one rebuild at a time
        }
        for (int role = 0; role < h.slots().size(); role++) {
            MemberSet.Slot slot = h.slots().get(role);
            if (slot == MemberSet.Slot.FAULTY && !MemberDevices.isPath(h.devices().get(role))
                    && !w.heldByAdmin().contains(MemberDevices.canonicalName(h.devices().get(role)))) {
                tryBack(w, role, h.devices().get(role), true);
                return;
            }
            if (slot == MemberSet.Slot.MISSING) {
                for (String candidate : names) {
                    if (w.heldByAdmin().contains(MemberDevices.canonicalName(candidate))) {
                        continue;
                    }
                    if (!h.devices().contains(candidate) && tryBack(w, role, candidate, false)) {
                        return;
                    }
                }
            }
        }
    }

    /** True when {@code member} was re-added into {@code role}. */
    private boolean tryBack(Watched w, int role, String member, boolean faulty) {
        String key = w.name() + " " + member;
        long now = System.nanoTime();
        long[] b = backoff.get(key);
        if (b != null && now - b[0] < 0) {
            return false;
        }
        Probe probe = probe(role, member);
        if (!probe.usable()) {
            long delay = b == null ? FIRST_BACKOFF_MILLIS : Math.min(MAX_BACKOFF_MILLIS, b[1] * 2);
            backoff.put(key, new long[] {now + delay * 1_000_000L, delay});
            String said = probe.answered()
                    ? "array " + w.name() + ": remote member " + member + " answers but is not taken back: " + probe.why()
                    : "array " + w.name() + ": remote member " + member + " is still away (" + probe.why()
                            + "); trying again with a backoff up to " + MAX_BACKOFF_MILLIS / 1000 + " s";
            if (!said.equals(lastSaid.put(key, said))) { // said when it changes, not at every try
                LOG.info(said);
            }
            return false;
        }
        lastSaid.remove(key);
        backoff.remove(key);
        if (!autoReAdd.get()) {
            waitLong(key, now);
            sayOnce(key, "array " + w.name() + ": remote member " + member + " answers again; POLICY action=incremental:"
                    + " re-add it with 'raid5 re-add " + w.name() + " " + member + "'");
            return false;
        }
        if (w.engine().bitmapLocation().equals("none")) {
            waitLong(key, now);
            sayOnce(key, "array " + w.name() + ": remote member " + member + " answers again but is not re-added"
                    + " automatically: the array has no write-intent bitmap, so it would need a full rebuild;"
                    + " 'raid5 add " + w.name() + " " + member + "' does that");
            return false;
        }
        try {
            if (faulty) {
                w.engine().removeMember(member);
            }
            w.engine().reAddMember(member);
            waiting.remove(key);
            LOG.warning("array " + w.name() + ": remote member " + member + " answers again: re-added through the bitmap"
                    + " (only the chunks written while it was away are copied)");
            return true;
        } catch (ArrayOperationException e) {
            waitLong(key, now);
            sayOnce(key, "array " + w.name() + ": remote member " + member + " answers again but waits for an admin: "
                    + e.getMessage());
            return false;
        } catch (IOException e) {
            LOG.warning("array " + w.name() + ": re-adding remote member " + member + " failed: " + e.getMessage());
            backoff.put(key, new long[] {now + FIRST_BACKOFF_MILLIS * 1_000_000L, FIRST_BACKOFF_MILLIS});
            return false;
        }
    }

    /** What a try found: whether the server answered, and whether the export can take {@code role} back (else why not). */
    private record Probe(boolean answered, boolean usable, String why) {}

    private static Probe probe(int role, String member) {
        try (MemberDevice dev = MemberDevices.openForInspection(member)) {
            Superblock own;
            try {
                own = SuperblockIo.read(dev);
            } catch (SuperblockException e) {
                return new Probe(true, false, "its superblock is not usable: " + e.getMessage());
            }
            // the array's identity (set UUID, events against the bitmap) is checked by the engine's re-add
            if (own.role() != role) {
                return new Probe(true, false, "its superblock says role " + own.role() + ", not the missing role " + role);
            }
            return new Probe(true, true, "");
        } catch (MemberOpenException e) {
            return new Probe(false, false, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Probe(true, false, member + ": " + e.getMessage());
        }
    }

    /** An answering member that is not re-added now is looked at again only after the longest backoff. */
    private void waitLong(String key, long now) {
        backoff.put(key, new long[] {now + MAX_BACKOFF_MILLIS * 1_000_000L, MAX_BACKOFF_MILLIS});
    }

    private void sayOnce(String key, String message) {
        if (waiting.add(key)) {
            LOG.warning(message);
        }
    }
}
