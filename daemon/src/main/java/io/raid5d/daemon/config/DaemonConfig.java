package io.raid5d.daemon.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The daemon's configuration file, parsed ({@link ConfigParser}). Everything is optional;
 * command line options override what the file says.
 *
 * @param devices     global DEVICE patterns: where arrays without their own {@code devices=} are looked for
 * @param bitmap      default for arrays' {@code bitmap=}
 * @param stripeCache default for arrays' {@code stripe_cache=}
 */
public record DaemonConfig(Path source, Optional<String> listen, Optional<Path> control, Optional<String> metrics,
                           OptionalInt ioThreads, List<String> devices, Optional<String> bitmap,
                           OptionalInt stripeCache, List<ArrayEntry> arrays) {

    public static DaemonConfig empty() {
        return new DaemonConfig(null, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
                List.of(), Optional.empty(), OptionalInt.empty(), List.of());
    }

    /** The patterns to search for {@code array}'s members: its own, else the global DEVICE lines. */
    public List<String> patternsFor(ArrayEntry array) {
        return array.devices().isEmpty() ? devices : array.devices();
    }

    /** The array's bitmap setting, or the global default. */
    public Optional<String> bitmapFor(ArrayEntry array) {
        return array.bitmap().or(() -> bitmap);
    }

    public OptionalInt stripeCacheFor(ArrayEntry array) {
        return array.stripeCache().isPresent() ? array.stripeCache() : stripeCache;
    }
}
