package io.raid5d.daemon.array;

import io.raid5d.daemon.control.ControlException;
import java.nio.file.Path;

/**
 * The management operations of one running array, as the control socket's verbs call them.
 * Each is carried out by the engine; until the engine has the feature it needs, the operation
 * is refused with a {@link ControlException} that names what is missing. Implementations
 * are thread-safe.
 */
public interface ArrayControl {

    /** {@code fail}: mark a member faulty (the array goes degraded). */
    void fail(String member) throws ControlException;

    /** {@code remove}: take a faulty or spare member out of the array. */
    void remove(String member) throws ControlException;

    /** {@code add}: add a device as a spare (rebuilt onto if the array is degraded). */
    void add(String device) throws ControlException;

    /** {@code re-add}: bring a recently removed member back, resyncing only what the bitmap marks. */
    void reAdd(String device) throws ControlException;

    /** {@code check}: start an online scrub that counts parity mismatches. */
    void check() throws ControlException;

    /** {@code repair}: start an online scrub that rewrites wrong parity. */
    void repair() throws ControlException;

    /** {@code grow --bitmap internal|none|FILE}: add, remove or move the write-intent bitmap. */
    void growBitmap(String bitmap) throws ControlException;

    /** {@code grow --raid-devices N}: grow onto idle spares while the array serves (md's online reshape). */
    void growMembers(int raidDisks) throws ControlException;

    /** {@code grow --size max}: the members' used size becomes what the smallest has room for; returns the new size in bytes. */
    long growSize() throws ControlException;

    /** The stripe cache size (entries, as md's stripe_cache_size). */
    int stripeCacheSize() throws ControlException;

    void setStripeCacheSize(int entries) throws ControlException;
}
