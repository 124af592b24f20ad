package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Full-stripe batches: a head whose data pages are all fully overwritten claims the following
 * heads that are full-stripe writes waiting on the handle or delayed list (up to
 * {@code maxBatchStripes}), computes parity for all into one pooled batch buffer, and gives each
 * member one vectored write request for the batch's adjacent member range (the caller's buffers
 * and the parity slices as segments, adjacent views merged).
 */
final class FullStripeBatch {
    private static final int PAGE = StripeEngine.PAGE;

    private final StripeCache cache;
    private final MemberQueues queues;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final WriteIntentGate gate;
    private final UnplugPolicy unplug;
    private final WritePass pass;
    private final PassCompletion passEnd;
    private final MemberFaults faults;
    private final BatchBufferPool batchBuffers;
    private final int maxBatch;
    private final int raidDisks;
    private final int dataDisks;

    FullStripeBatch(StripeCache cache, MemberQueues queues, MemberSet members, StripeMetrics metrics, WriteIntentGate gate,
                    UnplugPolicy unplug, WritePass pass, PassCompletion passEnd, MemberFaults faults,
                    BatchBufferPool batchBuffers, int maxBatch) {
        this.cache = cache;
        this.queues = queues;
        this.members = members;
        this.metrics = metrics;
        this.gate = gate;
        this.unplug = unplug;
        this.pass = pass;
        this.passEnd = passEnd;
        this.faults = faults;
        this.batchBuffers = batchBuffers;
        this.maxBatch = maxBatch;
        this.raidDisks = members.geometry().raidDisks();
        this.dataDisks = members.geometry().dataDisks();
    }

    boolean enabled() {
        return maxBatch > 1;
    }

    /**
     * Takes the following stripes that are full-stripe writes waiting on the handle or delayed
     * list into a batch with {@code first}. Lock held; the claimed heads become owned by this
     * worker. Their bitmap state is settled by the caller before they join.
     */
    List<StripeHead> claimNeighbours(StripeHead first) {
        List<StripeHead> claimed = new ArrayList<>();
        long key = first.key + 1;
        while (claimed.size() + 1 < maxBatch) {
            StripeHead h = cache.lookup(key);
            if (h == null || h.active || !cache.claimable(h)
                    || (h.phase != StripeHead.IDLE && h.phase != StripeHead.WRITE_PLAN)
                    || h.hasPendingSyncs() || !h.fullyOverwritten(StripeEngine.FULL_MASK)) {
                break;
            }
            h.on.remove(h);
            h.own();
            claimed.add(h);
            key++;
        }
        return claimed;
    }

    /**
     * A full-stripe batch: settle the claimed heads' bitmap state (startWrite for those that
     * had not started), keep the contiguous prefix whose batch is durable, compute parity for
     * all into one batch buffer, and give each member one coalesced write.
     */
    void writeBatch(StripeHead first, List<StripeHead> claimed) {
        boolean[] began = new boolean[claimed.size()];
        for (int i = 0; i < claimed.size(); i++) {
            StripeHead h = claimed.get(i);
            if (h.phase == StripeHead.IDLE) { // owned by the batch: the phase cannot change meanwhile
                gate.begin(h);
                began[i] = true;
            }
        }
        List<StripeHead> batch = new ArrayList<>(claimed.size() + 1);
        batch.add(first);
        ByteBuffer parityBuf = null;
        try (StripeCache.Locked locked = cache.locked()) {
            boolean cut = false;
            for (int i = 0; i < claimed.size(); i++) {
                StripeHead h = claimed.get(i);
                if (began[i]) {
                    h.beginWritePlan();
                }
                boolean settled = gate.settled(h);
                if (!cut && settled) {
                    batch.add(h);
                    continue;
                }
                cut = true;
                if (settled) {
                    h.disown();
                    cache.toHandle(h);
                } else {
                    unplug.parkOnBitmap(h);
                }
            }
            if (batch.size() > 1) {
                parityBuf = batchBuffers.poll();
            }
            for (StripeHead h : batch) {
                h.rmw = false;
                pass.drainPass(h, h.devs[h.parityMember].page);
            }
        }
        int k = batch.size();
        metrics.batchStripes.record(k);
        if (k > 1 && parityBuf == null) {
            parityBuf = batchBuffers.allocate();
        }
        ByteBuffer[] srcs = new ByteBuffer[dataDisks];
        for (int i = 0; i < k; i++) {
            StripeHead h = batch.get(i);
            if (parityBuf != null) {
                h.parityOut = parityBuf.duplicate().limit((i + 1) * PAGE).position(i * PAGE).slice();
            }
            pass.compute(h, srcs);
        }
        try (StripeCache.Locked locked = cache.locked()) {
            for (StripeHead h : batch) {
                pass.markComputed(h);
                h.disown();
            }
        }
        submitBatchWrites(batch, parityBuf);
    }

    /** One write task per member: the batch's pages for that member are adjacent on it; adjacent buffers merge. */
    private void submitBatchWrites(List<StripeHead> batch, ByteBuffer parityBuf) {
        int k = batch.size();
        int targets = 0;
        for (int m = 0; m < raidDisks; m++) {
            if (members.writable(m)) {
                targets++;
            }
        }
        if (targets == 0) {
            passEnd.writesDone(batch, 0, faults.arrayFailed(), parityBuf);
            return;
        }
        PassWrites pending = new PassWrites(passEnd, batch, parityBuf, targets);
        StripeHead h0 = batch.get(0);
        long column0 = (h0.key % cache.columnsPerChunk) * PAGE;
        MemberQueues.Group group = queues.group();
        for (int m = 0; m < raidDisks; m++) {
            if (!members.writable(m)) {
                continue; // lost: its data lives on in parity
            }
            int member = m;
            long address = members.rowAddress(m, h0.row) + column0;
            List<ByteBuffer> segments = new ArrayList<>(4);
            ByteBuffer runBase = null;
            int runPos = 0;
            int runLen = 0;
            for (int i = 0; i < k; i++) {
                StripeHead h = batch.get(i);
                ByteBuffer base;
                int pos;
                if (m == h.parityMember) {
                    base = parityBuf != null ? parityBuf : h.parityOut;
                    pos = parityBuf != null ? i * PAGE : 0;
                } else {
                    Dev d = h.devs[m];
                    if (d.src == d.page) {
                        base = d.page;
                        pos = 0;
                    } else {
                        base = d.writing.base;
                        pos = d.writing.basePos;
                    }
                }
                if (runBase == base && runPos + runLen == pos) {
                    runLen += PAGE;
                } else {
                    if (runBase != null) {
                        segments.add(view(runBase, runPos, runLen));
                    }
                    runBase = base;
                    runPos = pos;
                    runLen = PAGE;
                }
            }
            segments.add(view(runBase, runPos, runLen));
            group.write(member, address, segments.toArray(new ByteBuffer[0]), e -> pending.written(member, e));
        }
        group.submit();
    }

    private static ByteBuffer view(ByteBuffer base, int pos, int len) {
        return base.duplicate().limit(pos + len).position(pos).slice();
    }
}
