package io.raid5d.nbd.export;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A thread-safe registry that exports can be added to and removed from while the server runs.
 * The default export (empty name) is the one marked default, else the only export, else none.
 * Removing an export does not disturb connections already serving it.
 */
public final class MutableExportRegistry implements ExportRegistry {
    /** Sorted by name so NBD_OPT_LIST answers in a stable order. */
    private final Map<String, BlockExport> exports = new ConcurrentSkipListMap<>();
    private volatile String defaultName;

    public MutableExportRegistry add(BlockExport export) {
        Objects.requireNonNull(export, "export");
        if (export.name().isEmpty()) {
            throw new IllegalArgumentException("export name must not be empty; mark it default instead");
        }
        if (exports.putIfAbsent(export.name(), export) != null) {
            throw new IllegalArgumentException("export already registered: " + export.name());
        }
        return this;
    }

    public MutableExportRegistry addDefault(BlockExport export) {
        add(export);
        defaultName = export.name();
        return this;
    }

    public Optional<BlockExport> remove(String name) {
        return Optional.ofNullable(exports.remove(name));
    }

    /** Marks the export answering the empty name; null returns to "the only export". */
    public void setDefault(String name) {
        defaultName = name;
    }

    @Override
    public Optional<BlockExport> find(String name) {
        if (!name.isEmpty()) {
            return Optional.ofNullable(exports.get(name));
        }
        String marked = defaultName;
        if (marked != null) {
            return Optional.ofNullable(exports.get(marked));
        }
        List<BlockExport> all = list();
        return all.size() == 1 ? Optional.of(all.get(0)) : Optional.empty();
    }

    @Override
    public List<BlockExport> list() {
        return List.copyOf(exports.values());
    }
}
