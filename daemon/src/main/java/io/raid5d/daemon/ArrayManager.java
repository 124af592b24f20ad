package io.raid5d.daemon;

import io.raid5d.core.member.MemberDevices;
import io.raid5d.daemon.remote.RemoteMemberWatch;

import io.micrometer.core.instrument.MeterRegistry;
import io.raid5d.core.array.ArrayHealth;
import io.raid5d.core.array.ArrayOperationException;
import io.raid5d.core.array.ArrayOptions;
import io.raid5d.core.array.LeftOutMember;
import io.raid5d.core.array.ManagedArray;
import io.raid5d.core.member.DirectIoMode;
import io.raid5d.core.array.RaidArray;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssemblyException;
import io.raid5d.core.member.MemberSet;
import io.raid5d.daemon.array.ArrayControl;
import io.raid5d.daemon.array.ArrayControls;
import io.raid5d.daemon.array.ResyncRate;
import io.raid5d.daemon.control.ControlException;
import io.raid5d.daemon.events.ArrayEvent;
import io.raid5d.daemon.events.EventBus;
import io.raid5d.daemon.events.EventType;
import io.raid5d.daemon.export.RaidBlockExport;
import io.raid5d.daemon.metrics.EngineMeters;
import io.raid5d.daemon.metrics.MeteredRaidArray;
import io.raid5d.nbd.export.MutableExportRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The arrays this daemon runs, each served as the NBD export of the same name, metered, and
 * announced on the event bus when assembled or stopped.
 *
 * <p>Lock: the object's monitor guards {@code arrays} and keeps assemble/stop of one name
 * from racing; the NBD registry is updated under it so an export is visible only while its
 * array runs.
 */
final class ArrayManager {
    private static final Logger LOG = Logger.getLogger(ArrayManager.class.getName());

    private final MutableExportRegistry exports;
    private final int ioThreads;
    private final EventBus events;
    private final MeterRegistry meters;
    private final Map<String, RunningArray> arrays = new TreeMap<>(); // guarded by this
    /** Members of each array the admin failed or removed, by canonical name: the remote-member watch leaves them be. Guarded by this. */
    private final Map<String, java.util.Set<String>> adminHeld = new TreeMap<>();
    /** Remote members each array was given or configured with, present or not. Guarded by this. */
    private final Map<String, java.util.Set<String>> remoteMembers = new TreeMap<>();
    private volatile boolean forceAssemble; // --force-assemble: start dirty degraded arrays
    private volatile int maxReadErrors = ArrayOptions.DEFAULT_MAX_READ_ERRORS;
    private volatile DirectIoMode directIo = DirectIoMode.AUTO;
    private volatile boolean autoReAdd = true; // POLICY action=re-add: members that were only absent come back

    // md's sync_speed_min / sync_speed_max, KiB/s per member (max 0 = unlimited)
    private volatile long syncSpeedMin = 1000;
    private volatile long syncSpeedMax = 200000;

    void setSyncSpeed(long minKiBps, long maxKiBps) {
        syncSpeedMin = minKiBps;
        syncSpeedMax = maxKiBps;
    }

    void setForceAssemble(boolean force) {
        forceAssemble = force;
    }

    /** How members of arrays assembled from now on are opened (O_DIRECT where it applies). */
    void setDirectIo(DirectIoMode mode) {
        directIo = mode;
    }

    /** md's max_corrected_read_errors for arrays assembled from now on. */
    void setMaxReadErrors(int max) {
        maxReadErrors = max;
    }

    /** POLICY action=re-add (the default) or incremental. */
    void setAutoReAdd(boolean on) {
        autoReAdd = on;
    }

    ArrayManager(MutableExportRegistry exports, int ioThreads, EventBus events, MeterRegistry meters) {
        this.exports = exports;
        this.ioThreads = ioThreads;
        this.events = events;
        this.meters = meters;
    }

    synchronized RaidArray assemble(String name, List<String> members) throws AssemblyException, IOException, ControlException {
        return assemble(name, members, java.util.OptionalInt.empty(), false, Optional.empty());
    }

    /**
     * Assembles {@code name}; {@code stripeCache} sizes the stripe cache from the start (config
     * STRIPE_CACHE / stripe_cache=), {@code force} starts a dirty degraded array (the write hole),
     * {@code bitmapFile} names its bitmap file if it has one (a file bitmap).
     */
    synchronized RaidArray assemble(String name, List<String> members, java.util.OptionalInt stripeCache, boolean force,
                                    Optional<Path> bitmapFile)
            throws AssemblyException, IOException, ControlException {
        if (name.isEmpty() || name.length() > 255 || name.chars().anyMatch(c -> c < 0x20 || c == '/')) {
            throw new ControlException("'" + name + "' is not a usable array name");
        }
        if (arrays.containsKey(name)) {
            throw new ControlException("an array named " + name + " is already running");
        }
        // the engine's own meters (stripe cache, member request sizes, zero-copy reads) on /metrics too
        ArrayOptions options = ArrayOptions.defaults().withIoThreads(ioThreads).withMaxReadErrors(maxReadErrors)
                .withDirectIo(directIo).withMeterRegistry(meters);
        if (stripeCache.isPresent()) {
            try {
                options = options.withStripeCacheSize(stripeCache.getAsInt());
            } catch (IllegalArgumentException e) {
                throw new ControlException("array " + name + ": stripe_cache=" + stripeCache.getAsInt() + ": " + e.getMessage());
            }
        }
        ManagedArray engine = ArrayAssembler.assemble(name, members, options, force || forceAssemble, bitmapFile.orElse(null));
        engine.addListener(new EngineEvents(name, events));
        engine.setSyncSpeed(syncSpeedMin, syncSpeedMax);
        MeteredRaidArray served = new MeteredRaidArray(engine, meters);
        EngineMeters.bind(engine, meters);
        ArrayControl control = ArrayControls.forEngine(engine);
        RaidBlockExport export = new RaidBlockExport(served);
        java.util.Set<String> remote = new java.util.LinkedHashSet<>();
        members.stream().filter(m -> !MemberDevices.isPath(m)).forEach(remote::add);
        remoteMembers.put(name, remote);
        arrays.put(name, new RunningArray(engine, served, export, control, new ResyncRate(),
                engine.status().resyncDoneSectors()));
        exports.add(export);
        LOG.info(() -> "array " + name + ": assembled from " + members + ", " + engine.sizeBytes() + " bytes, "
                + engine.status().state() + ", bitmap " + engine.bitmapLocation());
        events.publish(ArrayEvent.of(EventType.ASSEMBLED, name));
        announceDegraded(name, engine);
        return engine;
    }

    /**
     * A degraded start is announced (DegradedArray, naming each member assembly left out) and,
     * by the re-add policy, a member that was only absent is re-added through the bitmap at once.
     */
    private void announceDegraded(String name, ManagedArray engine) {
        degradedEvents(name, engine).forEach(events::publish);
        for (LeftOutMember m : engine.leftOut()) {
            if (!m.mayReAddAutomatically()) {
                continue;
            }
            if (!autoReAdd) {
                LOG.info(() -> "array " + name + ": " + m.path() + " left out; POLICY action=incremental: re-add it with"
                        + " 'raid5 re-add " + name + " " + m.path() + "'");
                continue;
            }
            if (engine.bitmapLocation().equals("none")) {
                LOG.warning(() -> "array " + name + ": " + m.path() + " not re-added automatically: the array has no"
                        + " write-intent bitmap, so it would need a full rebuild; 'raid5 add' it to do that");
                continue;
            }
            try {
                engine.reAddMember(m.path());
                LOG.warning(() -> "array " + name + ": re-added " + m.path() + " automatically (POLICY action=re-add):"
                        + " only the chunks its bitmap marks are recovered");
            } catch (ArrayOperationException | IOException e) {
                LOG.warning(() -> "array " + name + ": " + m.path() + " not re-added automatically: " + e.getMessage());
            }
        }
    }

    /**
     * DegradedArray for every running array that is degraded now, naming each member assembly left
     * out that is still out: what mdadm --monitor reports when it first looks at the arrays.
     */
    synchronized List<ArrayEvent> degradedNow() {
        List<ArrayEvent> out = new ArrayList<>();
        for (RunningArray r : arrays.values()) {
            out.addAll(degradedEvents(r.name(), r.engine()));
        }
        return out;
    }

    /** DegradedArray naming each left-out member whose role is still empty, or once without a member; none when whole. */
    private static List<ArrayEvent> degradedEvents(String name, ManagedArray engine) {
        ArrayHealth health = engine.health();
        List<ArrayEvent> out = new ArrayList<>();
        if (!health.degraded()) {
            return out;
        }
        for (LeftOutMember m : engine.leftOut()) {
            if (m.role() < health.slots().size() && health.slots().get(m.role()) == MemberSet.Slot.MISSING) {
                out.add(new ArrayEvent(EventType.DEGRADED_ARRAY, 0, name, m.path()));
            }
        }
        if (out.isEmpty()) {
            out.add(ArrayEvent.of(EventType.DEGRADED_ARRAY, name));
        }
        return out;
    }

    synchronized RaidArray get(String name) throws ControlException {
        return running(name).engine();
    }

    synchronized RunningArray running(String name) throws ControlException {
        RunningArray e = arrays.get(name);
        if (e == null) {
            throw new ControlException("no array named " + name + " is running" + (arrays.isEmpty() ? "" : " (running: "
                    + String.join(", ", arrays.keySet()) + ")"));
        }
        return e;
    }

    synchronized List<RaidArray> all() {
        List<RaidArray> all = new ArrayList<>();
        arrays.values().forEach(e -> all.add(e.engine()));
        return all;
    }

    synchronized List<RunningArray> running() {
        return new ArrayList<>(arrays.values());
    }

    /**
     * Remote members {@code name} may have beyond those it was assembled from: the config's
     * {@code nbd://} entries of devices=, of which some may not have answered at assembly.
     */
    synchronized void rememberRemoteMembers(String name, List<String> members) {
        java.util.Set<String> remote = remoteMembers.get(name);
        if (remote != null) {
            members.stream().filter(m -> !MemberDevices.isPath(m)).map(MemberDevices::canonicalName).forEach(remote::add);
        }
    }

    /** The running arrays as the remote-member watch sees them. */
    synchronized List<RemoteMemberWatch.Watched> watched() {
        List<RemoteMemberWatch.Watched> out = new ArrayList<>();
        arrays.forEach((name, a) -> out.add(new RemoteMemberWatch.Watched(name, a.engine(),
                java.util.Set.copyOf(remoteMembers.getOrDefault(name, java.util.Set.of())),
                java.util.Set.copyOf(adminHeld.getOrDefault(name, java.util.Set.of())))));
        return out;
    }

    /** The admin failed or removed {@code member} of {@code array} ({@code held}), or added or re-added it. */
    synchronized void heldByAdmin(String array, String member, boolean held) {
        String name = MemberDevices.canonicalName(member);
        if (held) {
            adminHeld.computeIfAbsent(array, k -> new java.util.HashSet<>()).add(name);
        } else if (adminHeld.containsKey(array)) {
            adminHeld.get(array).remove(name);
        }
    }

    /** POLICY action=re-add: members that were only absent come back by themselves. */
    boolean autoReAdd() {
        return autoReAdd;
    }

    synchronized boolean isRunning(String name) {
        return arrays.containsKey(name);
    }

    /** Stops serving {@code name}: no new connections to it, drain, flush, mark clean. */
    synchronized void stop(String name) throws ControlException, IOException {
        RunningArray running = running(name);
        exports.remove(name);
        arrays.remove(name);
        remoteMembers.remove(name);
        adminHeld.remove(name);
        try {
            running.engine().close();
        } finally {
            EngineMeters.unbind(name, meters);
        }
        LOG.info(() -> "array " + name + ": stopped clean");
        events.publish(ArrayEvent.of(EventType.STOPPED, name));
    }

    /** Stops every array; reports the first failure after trying them all. */
    synchronized void stopAll() throws IOException {
        IOException first = null;
        for (String name : new ArrayList<>(arrays.keySet())) {
            try {
                stop(name);
            } catch (IOException | ControlException e) {
                LOG.log(Level.SEVERE, "array " + name + ": stop failed", e);
                if (first == null) {
                    first = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
