package io.raid5d.core.array;

import io.raid5d.core.member.MemberDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Devices an array holds outside its roles: idle hot spares (md's dev_roles 0xffff, written
 * with the array's superblock, waiting to replace a member that fails) and faulty members
 * that a spare replaced (0xfffe) and that stay attached until {@code remove}, as md keeps
 * them. The array owns every device here and closes them when it stops.
 *
 * <p>Guarded by this object's monitor; changes also hold the {@link RecoverySweeps} monitor
 * (see {@link MemberOperations}), reports only this one.
 */
final class SparePool implements AutoCloseable {
    /** An idle spare: its device, md dev_number and data offset (sectors). */
    record Idle(MemberDevice device, int devNumber, long dataOffsetSectors) {
    }

    /** A faulty member a spare replaced: its device and the dev_number recorded 0xfffe. */
    record Detached(MemberDevice device, int devNumber) {
    }

    private final List<Idle> idle = new ArrayList<>();
    private final List<Detached> detached = new ArrayList<>();

    synchronized void addIdle(Idle spare) {
        idle.add(spare);
    }

    /** The spare that replaces the next lost member (md takes them in the order they came). */
    synchronized Optional<Idle> firstIdle() {
        return idle.isEmpty() ? Optional.empty() : Optional.of(idle.get(0));
    }

    /** The idle spares in the order they would be used. */
    synchronized List<Idle> idleList() {
        return List.copyOf(idle);
    }

    synchronized void removeIdle(Idle spare) {
        idle.remove(spare);
    }

    synchronized void addDetached(Detached faulty) {
        detached.add(faulty);
    }

    synchronized void removeDetached(Detached faulty) {
        detached.remove(faulty);
    }

    synchronized Optional<Idle> idleAt(String path) {
        return idle.stream().filter(s -> samePath(s.device().path(), path)).findFirst();
    }

    synchronized Optional<Detached> detachedAt(String path) {
        return detached.stream().filter(d -> samePath(d.device().path(), path)).findFirst();
    }

    synchronized List<String> idlePaths() {
        return idle.stream().map(s -> s.device().path()).toList();
    }

    synchronized List<String> detachedPaths() {
        return detached.stream().map(d -> d.device().path()).toList();
    }

    /** dev_numbers in use by a device held here (a new spare must take another). */
    synchronized List<Integer> devNumbers() {
        List<Integer> out = new ArrayList<>();
        idle.forEach(s -> out.add(s.devNumber()));
        detached.forEach(d -> out.add(d.devNumber()));
        return out;
    }

    static boolean samePath(String a, String b) {
        return a.equals(b) || normalize(a).equals(normalize(b));
    }

    private static String normalize(String p) {
        return io.raid5d.core.member.MemberDevices.canonicalName(p);
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        List<MemberDevice> all = new ArrayList<>();
        idle.forEach(s -> all.add(s.device()));
        detached.forEach(d -> all.add(d.device()));
        idle.clear();
        detached.clear();
        for (MemberDevice d : all) {
            try {
                d.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
