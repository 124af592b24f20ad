package io.raid5d.nbd.export;

import java.util.List;
import java.util.Optional;

/**
 * The exports a server offers. Called on Netty event loops during option haggling, so both
 * methods must be non-blocking and thread-safe; the set may change while the server runs.
 */
public interface ExportRegistry {

    /**
     * The export with this name. The empty name asks for the default export: the registry decides
     * which that is (for example the only export, or one marked default) or that there is none.
     */
    Optional<BlockExport> find(String name);

    /** Every export, in the order NBD_OPT_LIST reports them. */
    List<BlockExport> list();
}
