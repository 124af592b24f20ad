package io.raid5d.nbd.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every export of another registry, each seen through a {@link ReadOnlyExport}. */
public final class ReadOnlyRegistry implements ExportRegistry {
    private final ExportRegistry registry;

    public ReadOnlyRegistry(ExportRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<BlockExport> find(String name) {
        return registry.find(name).map(ReadOnlyRegistry::view);
    }

    @Override
    public List<BlockExport> list() {
        List<BlockExport> all = new ArrayList<>();
        registry.list().forEach(e -> all.add(view(e)));
        return all;
    }

    private static BlockExport view(BlockExport export) {
        return export.readOnly() ? export : new ReadOnlyExport(export);
    }
}
