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
 * @param memberWait  MEMBER_WAIT: seconds to wait at start for missing members of configured arrays
 * @param policyAction POLICY action=: {@code re-add} or {@code incremental}
 * @param maxReadErrors MAX_READ_ERRORS: md's max_corrected_read_errors
 * @param directIo    DIRECT_IO: auto, on or off
 * @param transport   TRANSPORT: the NBD server's socket transport, auto, epoll, io_uring or nio
 */
public record DaemonConfig(Path source, Optional<String> listen, Optional<Path> control, Optional<String> metrics,
                           OptionalInt ioThreads, List<String> devices, Optional<String> bitmap,
                           OptionalInt stripeCache, List<ArrayEntry> arrays, OptionalInt memberWait,
                           Optional<String> policyAction, OptionalInt maxReadErrors, Optional<String> directIo,
                           Optional<String> transport) {
    /** mdadm's last-resort timer (mdadm-last-resort@.timer) starts a degraded array after 30 s. */
    public static final int DEFAULT_MEMBER_WAIT_SECONDS = 30;

    public static DaemonConfig empty() {
        return new DaemonConfig(null, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
                List.of(), Optional.empty(), OptionalInt.empty(), List.of(), OptionalInt.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    /** Seconds to wait at start for members of a configured array that are not there yet. */
    public int memberWaitSeconds() {
        return memberWait.orElse(DEFAULT_MEMBER_WAIT_SECONDS);
    }

    /**
     * Whether a member assembly left out because it was only absent (not recorded faulty) is
     * re-added at once through the bitmap. Default yes: the bitmap makes it cheap and the array
     * is whole again without an admin, as DRBD and Mayastor do for a replica that returns.
     */
    public boolean autoReAdd() {
        return policyAction.map(a -> a.equals("re-add")).orElse(true);
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
