package io.raid5d.core.grow;

import io.raid5d.core.geometry.Grow;
import io.raid5d.core.superblock.Superblock;
import java.util.ArrayList;
import java.util.List;

/**
 * The superblocks of a grow as md writes them (docs/reshape-md-facts.md 1.4, 2.1, 2.6): pure
 * transitions on every device's superblock, the new members' included.
 *
 * <ul>
 *   <li>started: RESHAPE_ACTIVE | NEW_OFFSET, raid_disks the new count, delta_disks, new
 *       level/layout/chunk the current ones, new_offset = -shift, reshape_position 0; layout,
 *       chunk and data_offset keep the old values; each new member takes the next role, in sync
 *       (no recovery offset), on every superblock;</li>
 *   <li>recorded: reshape_position moved (array sectors below it are in the new geometry);</li>
 *   <li>finished: data_offset += new_offset, data_size grows by the shift, the feature bits
 *       cleared (md leaves the reshape fields stale; so does this).</li>
 * </ul>
 * Every transition bumps events, as md_update_sb does.
 */
public final class GrowSuperblocks {
    private GrowSuperblocks() {
    }

    /**
     * @param members    the array's superblocks in role order (0..N-1)
     * @param newMembers the spares that become roles N.. in order
     */
    public static List<Superblock> started(List<Superblock> members, List<Superblock> newMembers, Grow grow) {
        int n = members.size();
        List<Superblock> all = new ArrayList<>();
        members.forEach(sb -> all.add(sb.copy()));
        newMembers.forEach(sb -> all.add(sb.copy()));
        int[] newDevNumbers = newMembers.stream().mapToInt(Superblock::getDevNumber).toArray();
        for (Superblock sb : all) {
            sb.setFeatureMap(sb.getFeatureMap() | Superblock.FEATURE_RESHAPE_ACTIVE | Superblock.FEATURE_NEW_OFFSET);
            sb.setRaidDisks(grow.after().raidDisks());
            sb.setDeltaDisks(grow.after().raidDisks() - grow.before().raidDisks());
            sb.setNewLevel(sb.getLevel());
            sb.setNewLayoutCode(sb.getLayout().mdCode());
            sb.setNewChunkSectors(sb.getChunkSectors());
            sb.setNewOffset((int) -grow.offsetShift());
            sb.setReshapePosition(0);
            int[] roles = sb.getDevRoles().clone();
            for (int j = 0; j < newDevNumbers.length; j++) {
                roles[newDevNumbers[j]] = n + j;
            }
            sb.setDevRoles(roles);
            sb.setEvents(sb.getEvents() + 1);
        }
        return all;
    }

    /**
     * An idle spare that stays a spare through the grow: it carries the array's reshape state
     * (md writes it in every superblock) but no new offset of its own, since no data of it moves.
     */
    public static Superblock startedSpare(Superblock spare, Superblock started) {
        Superblock sb = spare.copy();
        sb.setFeatureMap(sb.getFeatureMap() & ~Superblock.FEATURE_NEW_OFFSET | Superblock.FEATURE_RESHAPE_ACTIVE);
        sb.setRaidDisks(started.getRaidDisks());
        sb.setDeltaDisks(started.getDeltaDisks());
        sb.setNewLevel(started.getNewLevel());
        sb.setNewLayoutCode(started.getNewLayoutCode());
        sb.setNewChunkSectors(started.getNewChunkSectors());
        sb.setNewOffset(0);
        sb.setReshapePosition(started.getReshapePosition());
        sb.setDevRoles(started.getDevRoles());
        sb.setEvents(started.getEvents());
        return sb;
    }

    /** The reshape has written and synced every step below {@code position} (array sectors). */
    public static List<Superblock> recorded(List<Superblock> all, long position) {
        List<Superblock> out = new ArrayList<>();
        for (Superblock s : all) {
            Superblock sb = s.copy();
            sb.setReshapePosition(position);
            sb.setEvents(sb.getEvents() + 1);
            out.add(sb);
        }
        return out;
    }

    /** The grow is done: the new geometry is the geometry. */
    public static List<Superblock> finished(List<Superblock> all) {
        List<Superblock> out = new ArrayList<>();
        for (Superblock s : all) {
            Superblock sb = s.copy();
            long shift = -sb.getNewOffset();
            sb.setDataOffset(sb.newDataOffset());
            sb.setDataSize(sb.getDataSize() + shift);
            sb.setFeatureMap(sb.getFeatureMap() & ~(Superblock.FEATURE_RESHAPE_ACTIVE | Superblock.FEATURE_NEW_OFFSET
                    | Superblock.FEATURE_RESHAPE_BACKWARDS));
            sb.setEvents(sb.getEvents() + 1);
            out.add(sb);
        }
        return out;
    }
}
