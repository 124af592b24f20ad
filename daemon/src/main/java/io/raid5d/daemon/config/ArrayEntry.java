package io.raid5d.daemon.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One {@code ARRAY} line: the export name, how to recognise the array's members (UUID and/or
 * md name), where to look for them, and per-array settings.
 *
 * @param name        the NBD export name; also matched against the superblock's md name when no UUID is given
 * @param uuid        the md array UUID in mdadm's form, if given
 * @param devices     member patterns (paths or globs) for this array; empty = the global DEVICE lines
 * @param bitmap      {@code internal}, {@code none} or a bitmap file path, if given
 * @param stripeCache stripe cache size (entries, as md's stripe_cache_size), if given
 */
public record ArrayEntry(String name, Optional<String> uuid, List<String> devices, Optional<String> bitmap,
                         OptionalInt stripeCache) {
}
