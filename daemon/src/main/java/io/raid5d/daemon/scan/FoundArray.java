package io.raid5d.daemon.scan;

import java.nio.file.Path;
import java.util.List;

/**
 * An array found by scanning: its md identity and the devices carrying its superblock, in
 * role order where roles are known (spares and faulty members last).
 */
public record FoundArray(String uuid, String mdName, int raidDisks, long events, List<Path> members) {
}
