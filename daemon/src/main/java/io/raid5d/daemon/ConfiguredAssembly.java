package io.raid5d.daemon;

import io.raid5d.daemon.array.ArrayControl;
import io.raid5d.daemon.array.BitmapInfo;
import io.raid5d.daemon.config.ArrayEntry;
import io.raid5d.daemon.config.DaemonConfig;
import io.raid5d.daemon.control.ControlException;
import io.raid5d.daemon.scan.ConfiguredArrays;
import io.raid5d.daemon.scan.FoundArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Start-up assembly of the configured arrays (as mdadm --assemble --scan at boot: each array
 * that can be assembled is, the others are reported and left out), and the per-array settings
 * of the configuration applied to an array however it was assembled.
 */
final class ConfiguredAssembly {
    private static final Logger LOG = Logger.getLogger(ConfiguredAssembly.class.getName());

    private final DaemonConfig config;
    private final ArrayManager manager;
    private final Map<String, Path> cliBitmapFiles; // --bitmap NAME=FILE, over the config's bitmap=FILE

    ConfiguredAssembly(DaemonConfig config, ArrayManager manager) {
        this(config, manager, Map.of());
    }

    ConfiguredAssembly(DaemonConfig config, ArrayManager manager, Map<String, Path> cliBitmapFiles) {
        this.config = config;
        this.manager = manager;
        this.cliBitmapFiles = Map.copyOf(cliBitmapFiles);
    }

    /**
     * The bitmap file array {@code name} is assembled with: {@code --bitmap NAME=FILE}, else the
     * config's {@code bitmap=FILE} (a value other than internal/none). md keeps file bitmaps
     * outside the superblocks, so assembly must be told.
     */
    Optional<Path> bitmapFileFor(String name) {
        if (cliBitmapFiles.containsKey(name)) {
            return Optional.of(cliBitmapFiles.get(name));
        }
        return configuredBitmap(name).filter(ConfiguredAssembly::isFile)
                .map(b -> Path.of(b).toAbsolutePath().normalize());
    }

    private Optional<String> configuredBitmap(String name) {
        Optional<ArrayEntry> entry = config.arrays().stream().filter(a -> a.name().equals(name)).findFirst();
        return entry.isPresent() ? config.bitmapFor(entry.get()) : config.bitmap();
    }

    private static boolean isFile(String bitmap) {
        return !bitmap.equals("internal") && !bitmap.equals("none");
    }

    /** Assembles every configured array not yet running, without waiting for missing members; returns the names that failed. */
    List<String> assembleAll() {
        try {
            return assembleAll(0, millis -> true, status -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** How the start-up assembly waits: true when the daemon was asked to stop meanwhile. */
    interface Pause {
        boolean stopRequested(long millis) throws InterruptedException;
    }

    /**
     * The boot path: assembles every configured array not yet running. An array whose members
     * are all there (every role claimed by some device) starts at once; one with a member not
     * there yet is looked for again every second for up to {@code waitSeconds} (mdadm's
     * last-resort timer does the same at boot), then started without it, degraded. Returns the
     * names that could not be assembled. {@code status} hears what it waits for (systemd STATUS=).
     */
    List<String> assembleAll(int waitSeconds, Pause pause, java.util.function.Consumer<String> status)
            throws InterruptedException {
        List<String> failed = new ArrayList<>();
        java.util.Set<String> done = new java.util.HashSet<>();
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        boolean logged = false;
        while (true) {
            boolean last = System.nanoTime() - deadline >= 0;
            List<String> waiting = new ArrayList<>();
            for (ConfiguredArrays.Resolution r : ConfiguredArrays.resolve(config)) {
                String name = r.entry().name();
                if (done.contains(name) || manager.isRunning(name)) {
                    continue;
                }
                boolean complete = r.ok() && r.found().get().complete();
                if (!complete && !last) {
                    waiting.add(r.ok() ? name + " (" + r.found().get().rolesFound() + " of " + r.found().get().raidDisks()
                            + " members found)" : name + " (no member found)");
                    continue;
                }
                done.add(name);
                if (!r.ok()) {
                    LOG.severe("array " + name + ": not assembled: " + r.problem());
                    failed.add(name);
                    continue;
                }
                FoundArray found = r.found().get();
                if (!complete) {
                    LOG.warning("array " + name + ": only " + found.rolesFound() + " of its " + found.raidDisks()
                            + " members are there after " + waitSeconds + " s: starting without the others");
                }
                try {
                    manager.assemble(name, found.members(), config.stripeCacheFor(r.entry()), false, bitmapFileFor(name));
                    manager.rememberRemoteMembers(name, config.patternsFor(r.entry())); // those that did not answer yet too
                    applySettings(name).forEach(LOG::warning);
                } catch (Exception e) {
                    LOG.log(Level.SEVERE, "array " + name + ": not assembled: " + e.getMessage());
                    LOG.log(Level.FINE, "assembly failure", e);
                    failed.add(name);
                }
            }
            if (waiting.isEmpty()) {
                return failed;
            }
            long leftSeconds = Math.max(0, (deadline - System.nanoTime()) / 1_000_000_000L);
            String what = "waiting up to " + leftSeconds + " s for members of " + String.join(", ", waiting);
            status.accept(what);
            if (!logged) {
                LOG.info(what);
                logged = true;
            }
            if (pause.stopRequested(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)))) {
                for (String w : waiting) {
                    failed.add(w.substring(0, w.indexOf(' ')));
                }
                return failed;
            }
        }
    }

    /** The configured stripe cache size of array {@code name} (its ARRAY line's stripe_cache=, else STRIPE_CACHE). */
    java.util.OptionalInt stripeCache(String name) {
        Optional<ArrayEntry> entry = config.arrays().stream().filter(a -> a.name().equals(name)).findFirst();
        return entry.isPresent() ? config.stripeCacheFor(entry.get()) : config.stripeCache();
    }

    /**
     * Applies the configured bitmap and stripe cache settings to a running array. Settings the
     * engine cannot honour yet are not silently dropped: each refusal comes back as a warning line.
     */
    List<String> applySettings(String name) {
        List<String> warnings = new ArrayList<>();
        Optional<ArrayEntry> entry = config.arrays().stream().filter(a -> a.name().equals(name)).findFirst();
        Optional<String> bitmap = entry.isPresent() ? config.bitmapFor(entry.get()) : config.bitmap();
        OptionalInt stripeCache = entry.isPresent() ? config.stripeCacheFor(entry.get()) : config.stripeCache();
        RunningArray running;
        try {
            running = manager.running(name);
        } catch (ControlException e) {
            return List.of(e.getMessage());
        }
        ArrayControl control = running.control();
        if (bitmap.isPresent() && isFile(bitmap.get())) {
            // given to the assembly; here only checked, never grown into an existing file
            String have = running.bitmap().map(BitmapInfo::location).orElse("none");
            Path want = Path.of(bitmap.get()).toAbsolutePath().normalize();
            if (!have.equals(want.toString()) && !cliBitmapFiles.containsKey(name)) {
                warnings.add("array " + name + ": configured bitmap=" + bitmap.get() + " but it runs with " + have);
            }
        } else if (bitmap.isPresent()) {
            String have = running.bitmap().map(BitmapInfo::location).orElse("none");
            if (!have.equals(bitmap.get())) {
                try {
                    control.growBitmap(bitmap.get());
                } catch (ControlException e) {
                    warnings.add("array " + name + ": configured bitmap=" + bitmap.get() + " but it has " + have
                            + "; not changed: " + e.getMessage());
                }
            }
        }
        if (stripeCache.isPresent()) {
            try {
                control.setStripeCacheSize(stripeCache.getAsInt());
            } catch (ControlException e) {
                warnings.add("array " + name + ": stripe_cache=" + stripeCache.getAsInt() + " not applied: " + e.getMessage());
            }
        }
        return warnings;
    }
}
