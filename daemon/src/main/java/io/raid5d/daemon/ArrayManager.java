package io.raid5d.daemon;

import io.raid5d.core.array.RaidArray;
import io.raid5d.core.assembly.ArrayAssembler;
import io.raid5d.core.assembly.AssemblyException;
import io.raid5d.daemon.control.ControlException;
import io.raid5d.daemon.export.RaidBlockExport;
import io.raid5d.nbd.export.MutableExportRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The arrays this daemon runs, each served as the NBD export of the same name.
 *
 * <p>Lock: the object's monitor guards {@code arrays} and keeps assemble/stop of one name
 * from racing; the NBD registry is updated under it so an export is visible only while its
 * array runs.
 */
final class ArrayManager {
    private static final Logger LOG = Logger.getLogger(ArrayManager.class.getName());

    private final MutableExportRegistry exports;
    private final int ioThreads;
    private final Map<String, RaidBlockExport> arrays = new TreeMap<>(); // guarded by this

    ArrayManager(MutableExportRegistry exports, int ioThreads) {
        this.exports = exports;
        this.ioThreads = ioThreads;
    }

    synchronized RaidArray assemble(String name, List<Path> members) throws AssemblyException, IOException, ControlException {
        if (name.isEmpty() || name.length() > 255 || name.chars().anyMatch(c -> c < 0x20 || c == '/')) {
            throw new ControlException("'" + name + "' is not a usable array name");
        }
        if (arrays.containsKey(name)) {
            throw new ControlException("an array named " + name + " is already running");
        }
        RaidArray array = ArrayAssembler.assemble(name, members, ioThreads);
        RaidBlockExport export = new RaidBlockExport(array);
        arrays.put(name, export);
        exports.add(export);
        LOG.info(() -> "array " + name + ": assembled from " + members + ", " + array.sizeBytes() + " bytes, "
                + array.status().state());
        return array;
    }

    synchronized RaidArray get(String name) throws ControlException {
        RaidBlockExport e = arrays.get(name);
        if (e == null) {
            throw new ControlException("no array named " + name + " is running" + (arrays.isEmpty() ? "" : " (running: "
                    + String.join(", ", arrays.keySet()) + ")"));
        }
        return e.array();
    }

    synchronized List<RaidArray> all() {
        List<RaidArray> all = new ArrayList<>();
        arrays.values().forEach(e -> all.add(e.array()));
        return all;
    }

    /** Stops serving {@code name}: no new connections to it, drain, flush, mark clean. */
    synchronized void stop(String name) throws ControlException, IOException {
        RaidArray array = get(name);
        exports.remove(name);
        arrays.remove(name);
        array.close();
        LOG.info(() -> "array " + name + ": stopped clean");
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
