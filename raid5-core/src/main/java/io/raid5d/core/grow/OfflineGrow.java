package io.raid5d.core.grow;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.geometry.Grow;
import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.parity.Parity;
import io.raid5d.core.superblock.Superblock;
import io.raid5d.core.superblock.SuperblockException;
import io.raid5d.core.superblock.SuperblockIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * Grows a stopped array to more members in md's reshape format, or resumes such a grow (one
 * raid5d or the kernel's md started): step by step, each step one chunk-deep row of new stripes
 * read from the old geometry and written with fresh parity at the new data offset, the reshape
 * position recorded on every member before a step could overwrite old data not yet recorded as
 * copied ({@link Grow#mustRecordBefore}) and at least every {@link #RECORD_EVERY_STEPS} steps. A
 * crash at any moment leaves an array md or raid5d resumes from the recorded position: below it
 * the new geometry is whole, at and above it the old geometry is untouched.
 *
 * <p>Single-threaded; owns the devices it is given for the duration of {@link #run}.
 */
public final class OfflineGrow {
    private static final Logger LOG = Logger.getLogger(OfflineGrow.class.getName());
    /** Steps between records when the safety rule asks for none: bounds the work a crash repeats. */
    static final int RECORD_EVERY_STEPS = 256;

    /** What a run did. */
    public record Result(int fromDisks, int toDisks, long startedAtSector, long steps, long records, boolean finished) {}

    private final List<MemberDevice> devices;
    private long stopAfterSteps = Long.MAX_VALUE;
    /** md's sync_speed_max for the grow: KiB per second written to each member; 0 = as fast as the members go. */
    private long speedLimitKiBps;

    /**
     * @param devices every device of the grown array in role order: the members 0..N-1, then the
     *                spares that become members N.. (for a resume: the members 0..N+k-1)
     */
    public OfflineGrow(List<MemberDevice> devices) {
        this.devices = List.copyOf(devices);
    }

    /** Limits the grow to {@code kibPerSecond} KiB/s written to each member (md's sync_speed_max); 0 = no limit. */
    public OfflineGrow speedLimit(long kibPerSecond) {
        if (kibPerSecond < 0) {
            throw new IllegalArgumentException("speed limit " + kibPerSecond);
        }
        this.speedLimitKiBps = kibPerSecond;
        return this;
    }

    /** Stops after this many steps without finishing, as a crash would (tests of the resume). */
    OfflineGrow stopAfterSteps(long steps) {
        this.stopAfterSteps = steps;
        return this;
    }

    /**
     * Starts the grow to all the devices given (or resumes the one recorded on them) and runs it
     * to the end.
     *
     * @throws GrowException why the devices cannot be grown (or resumed), before anything is written
     */
    public Result run() throws GrowException, IOException {
        List<Superblock> sbs = new ArrayList<>();
        for (MemberDevice d : devices) {
            try {
                sbs.add(SuperblockIo.readReshaping(d));
            } catch (SuperblockException e) {
                throw new GrowException(e.getMessage());
            }
        }
        boolean resume = sbs.get(0).reshapeActive();
        List<Superblock> state = resume ? checkResume(sbs) : start(sbs);
        Superblock ref = state.get(0);
        int newDisks = ref.getRaidDisks();
        int oldDisks = newDisks - ref.getDeltaDisks();
        Geometry before = Geometry.of(oldDisks, ref.getChunkSectors(), ref.getLayout(), ref.getSize());
        Grow grow = Grow.of(before, newDisks);
        long from = ref.getReshapePosition();
        LOG.info(() -> (resume ? "resuming" : "starting") + " the grow from " + oldDisks + " to " + newDisks
                + " members at array sector " + from + " (data offset moves down " + grow.offsetShift() + " sectors)");
        return sweep(grow, state, from);
    }

    private List<Superblock> start(List<Superblock> sbs) throws GrowException, IOException {
        Superblock ref = sbs.get(0);
        int n = ref.getRaidDisks();
        if (sbs.size() <= n) {
            throw new GrowException("growing an array of " + n + " members needs more devices: give its members in role order,"
                    + " then the spares that join it (" + sbs.size() + " given)");
        }
        List<Superblock> members = sbs.subList(0, n);
        List<Superblock> spares = sbs.subList(n, sbs.size());
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            String who = devices.get(i).path();
            if (!Arrays.equals(sb.getSetUuid(), ref.getSetUuid())) {
                throw new GrowException(who + " is not a device of this array");
            }
            if (sb.getEvents() != ref.getEvents()) {
                throw new GrowException(who + " has events " + sb.getEvents() + ", " + devices.get(0).path() + " has "
                        + ref.getEvents() + ": assemble and stop the array cleanly first");
            }
            if (i < n && sb.role() != i) {
                throw new GrowException(who + " has role " + sb.role() + ", not " + i + ": give the members in role order");
            }
            if (i >= n && sb.role() != Superblock.ROLE_SPARE) {
                throw new GrowException(who + " is not a spare of this array (role " + sb.role() + ")");
            }
            if (sb.hasRecoveryOffset()) {
                throw new GrowException(who + " is being rebuilt: let the recovery finish first");
            }
        }
        if (!ref.isClean()) {
            throw new GrowException("the array was not stopped clean (its parity is not known good): assemble it, let the resync"
                    + " finish, stop it, then grow");
        }
        for (int r = 0; r < n; r++) {
            if (ref.roleOf(members.get(r).getDevNumber()) != r) {
                throw new GrowException("the array is degraded: role " + r + " is not in sync");
            }
        }
        Geometry before = Geometry.of(n, ref.getChunkSectors(), ref.getLayout(), ref.getSize());
        Grow grow = Grow.of(before, sbs.size());
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            String why = grow.whyNoRoom(sb.getDataOffset(), metadataEnd(devices.get(i), sb));
            if (why != null) {
                throw new GrowException(devices.get(i).path() + ": no room to move the data down: " + why);
            }
            long needed = (grow.newDataOffset(sb.getDataOffset()) + sb.getSize()) * 512;
            if (devices.get(i).sizeBytes() < needed) {
                throw new GrowException(devices.get(i).path() + " is too small: " + devices.get(i).sizeBytes() + " bytes, needs "
                        + needed);
            }
        }
        List<Superblock> started = GrowSuperblocks.started(members, spares, grow);
        writeAll(started);
        return started;
    }

    private List<Superblock> checkResume(List<Superblock> sbs) throws GrowException {
        Superblock ref = sbs.get(0);
        if (ref.getDeltaDisks() <= 0 || ref.getNewChunkSectors() != ref.getChunkSectors()
                || ref.getNewLayoutCode() != ref.getLayout().mdCode() || ref.getNewLevel() != ref.getLevel()) {
            throw new GrowException("the reshape recorded on " + devices.get(0).path() + " is not a grow raid5d can resume"
                    + " (delta_disks " + ref.getDeltaDisks() + ", new chunk " + ref.getNewChunkSectors() + ", new layout "
                    + ref.getNewLayoutCode() + ")");
        }
        if (sbs.size() != ref.getRaidDisks()) {
            throw new GrowException("the grow recorded on the members is to " + ref.getRaidDisks() + " members; give all of them"
                    + " in role order (" + sbs.size() + " given)");
        }
        Superblock freshest = ref;
        for (int i = 0; i < sbs.size(); i++) {
            Superblock sb = sbs.get(i);
            if (!Arrays.equals(sb.getSetUuid(), ref.getSetUuid()) || !sb.reshapeActive()) {
                throw new GrowException(devices.get(i).path() + " is not in this array's grow");
            }
            if (sb.role() != i) {
                throw new GrowException(devices.get(i).path() + " has role " + sb.role() + ", not " + i);
            }
            if (Long.compareUnsigned(sb.getEvents(), freshest.getEvents()) > 0) {
                freshest = sb;
            }
        }
        long unit = (long) ref.getChunkSectors() * (ref.getRaidDisks() - 1);
        if (freshest.getReshapePosition() % unit != 0) {
            throw new GrowException("reshape_position " + freshest.getReshapePosition() + " is not on a stripe boundary");
        }
        // the freshest record holds: a member that missed it is brought to it (its old cells are what the others say)
        List<Superblock> out = new ArrayList<>();
        for (Superblock sb : sbs) {
            Superblock c = sb.copy();
            c.setReshapePosition(freshest.getReshapePosition());
            c.setEvents(freshest.getEvents());
            out.add(c);
        }
        return out;
    }

    private Result sweep(Grow grow, List<Superblock> state, long from) throws IOException {
        Geometry before = grow.before();
        Geometry after = grow.after();
        int chunk = before.chunkSectors();
        int chunkBytes = chunk * 512;
        int newDd = after.dataDisks();
        long unit = grow.unitSectors();
        ByteBuffer[] data = new ByteBuffer[newDd];
        for (int j = 0; j < newDd; j++) {
            data[j] = ByteBuffer.allocateDirect(chunkBytes);
        }
        ByteBuffer parity = ByteBuffer.allocateDirect(chunkBytes);
        long safe = from;
        long steps = 0;
        long records = 0;
        long sinceRecord = 0;
        List<Superblock> current = state;
        long startedNanos = System.nanoTime();
        long end = before.arraySectors(); // old data ends here; the new rows past it are written as zeros, as md does
        for (long p = from; p < after.arraySectors(); p += unit) {
            if (steps >= stopAfterSteps) {
                return new Result(before.raidDisks(), after.raidDisks(), from, steps, records, false);
            }
            if (p > safe && (grow.mustRecordBefore(p, safe) || sinceRecord >= RECORD_EVERY_STEPS)) {
                syncAll(); // every step below p is on the members before the record says so
                current = GrowSuperblocks.recorded(current, p);
                writeAll(current);
                safe = p;
                records++;
                sinceRecord = 0;
            }
            long row = p / unit;
            for (int j = 0; j < newDd; j++) {
                ByteBuffer b = data[j].clear();
                long a = p + (long) j * chunk;
                if (a < end) {
                    long oldRow = before.rowOf(a);
                    int member = before.memberOf(a);
                    long at = (current.get(member).getDataOffset() + oldRow * chunk) * 512;
                    devices.get(member).read(at, b);
                } else {
                    while (b.hasRemaining()) {
                        b.put((byte) 0); // beyond the old end: md fills zeros
                    }
                }
                b.flip();
            }
            Parity.compute(parity.clear(), data, newDd);
            for (int j = 0; j < newDd; j++) {
                int member = after.dataMember(row, j);
                devices.get(member).write((current.get(member).newDataOffset() + row * chunk) * 512, data[j].rewind());
            }
            int pm = after.parityDisk(row);
            devices.get(pm).write((current.get(pm).newDataOffset() + row * chunk) * 512, parity.rewind());
            steps++;
            sinceRecord++;
            throttle(startedNanos, steps * (long) chunkBytes);
        }
        syncAll();
        writeAll(GrowSuperblocks.finished(current));
        LOG.info(() -> "grown from " + before.raidDisks() + " to " + after.raidDisks() + " members: "
                + after.arraySectors() * 512 + " bytes");
        return new Result(before.raidDisks(), after.raidDisks(), from, steps, records, true);
    }

    /** Sleeps while {@code bytesPerMember} written since {@code startedNanos} is ahead of the speed limit. */
    private void throttle(long startedNanos, long bytesPerMember) throws IOException {
        if (speedLimitKiBps == 0) {
            return;
        }
        long dueNanos = bytesPerMember * 1_000_000_000L / (speedLimitKiBps * 1024);
        long aheadMillis = (startedNanos + dueNanos - System.nanoTime()) / 1_000_000;
        if (aheadMillis > 0) {
            try {
                Thread.sleep(aheadMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Where md lets a lowered data offset begin: past the superblock's 36 KiB, the internal bitmap and the bad block log. */
    public static long metadataEnd(MemberDevice dev, Superblock sb) throws IOException, GrowException {
        long end = sb.getSuperOffset() + 8;
        if (sb.hasBitmap()) {
            try {
                BitmapSuperblock bsb = SuperblockIo.readInternalBitmap(dev, sb);
                end = Math.max(end, sb.getSuperOffset() + sb.getBitmapOffset() + bsb.areaBytes(4096) / 512);
            } catch (SuperblockException e) {
                throw new GrowException(dev.path() + ": " + e.getMessage());
            }
        }
        if (sb.getBblogSize() > 0) {
            end = Math.max(end, sb.getSuperOffset() + sb.getBblogOffset() + sb.getBblogSize());
        }
        return end;
    }

    /**
     * Writes every superblock, and keeps each internal bitmap's events with its superblock's (md
     * takes a bitmap whose events lag its superblock's for stale and recovers the whole array).
     */
    private void writeAll(List<Superblock> sbs) throws IOException {
        for (int i = 0; i < sbs.size(); i++) {
            MemberDevice dev = devices.get(i);
            Superblock sb = sbs.get(i);
            if (sb.hasBitmap()) {
                try {
                    BitmapSuperblock bsb = SuperblockIo.readInternalBitmap(dev, sb);
                    bsb.setEvents(sb.getEvents());
                    dev.write(SuperblockIo.internalBitmapByteOffset(sb), bsb.encode());
                } catch (SuperblockException e) {
                    throw new IOException(dev.path() + ": " + e.getMessage(), e);
                }
            }
            SuperblockIo.write(dev, sb);
            dev.sync();
        }
    }

    private void syncAll() throws IOException {
        for (MemberDevice d : devices) {
            d.sync();
        }
    }
}
