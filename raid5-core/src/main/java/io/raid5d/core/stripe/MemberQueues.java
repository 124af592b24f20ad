package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One request queue per member, doing for the engine what the block layer's plug and merge do
 * for md (issue #15): stripe passes submit page-sized member reads and writes; a member's
 * dispatcher takes the oldest request and every queued request of the same kind adjacent to it
 * on the member (up to {@link #MAX_RUN_BYTES}, {@code IOV_MAX} buffers), and issues them as ONE
 * vectored device request. At most {@code depth} dispatchers per member run at once (the queue
 * depth a device sees); while they are busy, new requests gather and merge. So a rebuild's or a
 * sequential write's pages reach a disk in chunk-sized requests, without copying them together,
 * and a device capped in IOPS is not wasted on 4 KiB requests.
 *
 * <p>Concurrency: each {@link Queue}'s fields are guarded by the queue's monitor, held only to
 * add or take requests, never across I/O or a completion. Completions run on the dispatcher's
 * I/O thread, outside every lock. Requests to one member never overlap while both are queued
 * (a stripe head has one pass at a time, and a pass touches only its own pages), so merging
 * adjacent ones changes no outcome; an error of a merged request is retried request by request,
 * so each page gets its own result, as md gets one per bio.
 */
final class MemberQueues {
    private static final Logger LOG = Logger.getLogger(MemberQueues.class.getName());
    /** The largest merged request (bytes): md's default max_sectors_kb for most disks is 1280 KiB. */
    static final int MAX_RUN_BYTES = 1 << 20;
    private static final int MAX_RUN_BUFFERS = 1024; // Linux's IOV_MAX
    private static final int RUNS_PER_TURN = 8;
    /** Dispatchers per member: the requests a device may have in flight from this engine. */
    static final int QUEUE_DEPTH = 4;

    /**
     * A request never issued because the I/O pool refused work (the array is stopping): a
     * failure of the pass, not of the member.
     */
    static final class NotIssued extends RuntimeException {
        NotIssued(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Told the outcome of one request, on an I/O thread, outside every engine lock. */
    interface Done {
        void done(Throwable error);
    }

    private static final class Request {
        final boolean write;
        final long address;
        final long end;
        final ByteBuffer[] buffers; // views owned by the queue until done
        final int[] starts; // their positions as submitted (a failed merged transfer is retried from there)
        final Done done;
        boolean taken; // guarded by the queue: dispatched (its FIFO entry is skipped)

        Request(boolean write, long address, ByteBuffer[] buffers, Done done) {
            this.write = write;
            this.address = address;
            long n = 0;
            this.starts = new int[buffers.length];
            for (int i = 0; i < buffers.length; i++) {
                starts[i] = buffers[i].position();
                n += buffers[i].remaining();
            }
            this.end = address + n;
            this.buffers = buffers;
            this.done = done;
        }

        int bytes() {
            return (int) (end - address);
        }
    }

    /** One member's queue. */
    private final class Queue {
        final int role;
        // guarded by this
        private final ArrayDeque<Request> fifo = new ArrayDeque<>(); // age order; taken ones skipped lazily
        private final TreeMap<Long, Request> reads = new TreeMap<>(); // by address, for merging
        private final TreeMap<Long, Request> writes = new TreeMap<>();
        private int dispatchers; // running or scheduled on the I/O pool

        Queue(int role) {
            this.role = role;
        }

        /** Queues {@code r}; true when it took a dispatcher place, which the caller must then run. */
        synchronized boolean enqueue(Request r) {
            fifo.add(r);
            (r.write ? writes : reads).putIfAbsent(r.address, r); // a second request at an address goes alone
            if (dispatchers < depth) {
                dispatchers++;
                return true;
            }
            return false;
        }

        /** A dispatcher that found its queue empty gives its place back (true); else it goes on. */
        synchronized boolean releaseIfEmpty() {
            while (!fifo.isEmpty() && fifo.peek().taken) {
                fifo.poll();
            }
            if (fifo.isEmpty()) {
                dispatchers--;
                return true;
            }
            return false;
        }

        /** The oldest request and those adjacent to it, in address order; null (and one dispatcher fewer) when empty. */
        synchronized List<Request> takeRun() {
            Request first;
            do {
                first = fifo.poll();
            } while (first != null && first.taken);
            if (first == null) {
                dispatchers--;
                return null;
            }
            TreeMap<Long, Request> byAddress = first.write ? writes : reads;
            take(byAddress, first);
            ArrayDeque<Request> run = new ArrayDeque<>();
            run.add(first);
            long bytes = first.bytes();
            int buffers = first.buffers.length;
            while (true) { // backwards: requests ending where the run starts
                Map.Entry<Long, Request> e = byAddress.lowerEntry(run.getFirst().address);
                if (e == null || e.getValue().end != run.getFirst().address || !fits(e.getValue(), bytes, buffers)) {
                    break;
                }
                Request r = e.getValue();
                take(byAddress, r);
                run.addFirst(r);
                bytes += r.bytes();
                buffers += r.buffers.length;
            }
            while (true) { // forwards: requests starting where it ends
                Request r = byAddress.get(run.getLast().end);
                if (r == null || !fits(r, bytes, buffers)) {
                    break;
                }
                take(byAddress, r);
                run.addLast(r);
                bytes += r.bytes();
                buffers += r.buffers.length;
            }
            return new ArrayList<>(run);
        }

        private void take(TreeMap<Long, Request> byAddress, Request r) {
            r.taken = true;
            byAddress.remove(r.address, r);
        }

        synchronized List<Request> takeAll() {
            List<Request> all = new ArrayList<>();
            for (Request r : fifo) {
                if (!r.taken) {
                    r.taken = true;
                    all.add(r);
                }
            }
            fifo.clear();
            reads.clear();
            writes.clear();
            dispatchers--;
            return all;
        }
    }

    private final MemberIo io;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final int depth;
    private final Queue[] queues;

    MemberQueues(MemberIo io, MemberSet members, StripeMetrics metrics, int depth) {
        this.io = io;
        this.members = members;
        this.metrics = metrics;
        this.depth = depth;
        this.queues = new Queue[members.geometry().raidDisks()];
        for (int m = 0; m < queues.length; m++) {
            queues[m] = new Queue(m);
        }
    }

    /** Reads {@code dst} (position to limit) from member {@code role} at byte {@code address}. */
    void read(int role, long address, ByteBuffer dst, Done done) {
        submitOne(role, new Request(false, address, new ByteBuffer[] {dst}, done));
    }

    /** Writes {@code src} (position to limit) to member {@code role} at byte {@code address}. */
    void write(int role, long address, ByteBuffer src, Done done) {
        submitOne(role, new Request(true, address, new ByteBuffer[] {src}, done));
    }

    /** Writes {@code srcs} in order, adjacent, to member {@code role} from byte {@code address} on. */
    void write(int role, long address, ByteBuffer[] srcs, Done done) {
        submitOne(role, new Request(true, address, srcs, done));
    }

    private void submitOne(int role, Request r) {
        Queue q = queues[role];
        if (q.enqueue(r)) {
            io.submit(dispatcher(q));
        }
    }

    /** A group of requests of one pass (or one array read), for different members. */
    Group group() {
        return new Group();
    }

    /**
     * The requests of one pass, queued together: every member whose queue was idle gets its first
     * run from ONE I/O task, in turn, as one task did all of a pass's I/O before the queues (on
     * fast members, a hand-off per request would cost more CPU than the I/O); a member that has
     * more queued then gets a dispatcher of its own, and busy members merge as always.
     */
    final class Group {
        private final List<Queue> targets = new ArrayList<>(4);
        private final List<Request> requests = new ArrayList<>(4);

        void read(int role, long address, ByteBuffer dst, Done done) {
            targets.add(queues[role]);
            requests.add(new Request(false, address, new ByteBuffer[] {dst}, done));
        }

        void write(int role, long address, ByteBuffer src, Done done) {
            targets.add(queues[role]);
            requests.add(new Request(true, address, new ByteBuffer[] {src}, done));
        }

        void write(int role, long address, ByteBuffer[] srcs, Done done) {
            targets.add(queues[role]);
            requests.add(new Request(true, address, srcs, done));
        }

        /** Queues every request; the idle members' dispatching starts on one task. */
        void submit() {
            List<Queue> idle = enqueueAll();
            if (idle == null) {
                return;
            }
            if (idle.size() == 1) {
                io.submit(dispatcher(idle.get(0)));
                return;
            }
            List<Queue> started = idle;
            io.submit(new MemberIo.Task() {
                int next; // queues whose first run this task issued (the rest fail if the pool refused it)

                @Override
                public void run() {
                    for (; next < started.size(); next++) {
                        dispatch(started.get(next), 1);
                    }
                }

                @Override
                public void done(Throwable error) {
                    if (error != null) {
                        for (int i = next; i < started.size(); i++) {
                            drainFailed(started.get(i), error);
                        }
                    }
                }
            });
        }

        /**
         * On an I/O thread (which may block on members): queues every request and issues the idle
         * members' first runs right here, with no hand-off (an array read planned on an I/O thread).
         */
        void submitHere() {
            List<Queue> idle = enqueueAll();
            if (idle != null) {
                for (Queue q : idle) {
                    dispatch(q, 1);
                }
            }
        }

        /** The queues whose dispatcher place the requests took (null: none). */
        private List<Queue> enqueueAll() {
            List<Queue> idle = null;
            for (int i = 0; i < requests.size(); i++) {
                Queue q = targets.get(i);
                if (q.enqueue(requests.get(i))) {
                    if (idle == null) {
                        idle = new ArrayList<>(targets.size());
                    }
                    idle.add(q);
                }
            }
            return idle;
        }
    }

    private static boolean fits(Request r, long bytes, int buffers) {
        return bytes + r.bytes() <= MAX_RUN_BYTES && buffers + r.buffers.length <= MAX_RUN_BUFFERS;
    }

    /**
     * A dispatcher's turn: issues up to {@code maxRuns} runs; gives its place back when the queue is
     * empty, else goes on as a new task at the back of the I/O pool (a dispatcher yields after
     * {@link #RUNS_PER_TURN} runs, so a busy member cannot keep a thread from the others).
     */
    private void dispatch(Queue q, int maxRuns) {
        for (int i = 0; i < maxRuns; i++) {
            List<Request> run = q.takeRun();
            if (run == null) {
                return; // empty: its place was given back
            }
            issue(q.role, run);
        }
        if (!q.releaseIfEmpty()) {
            io.submit(dispatcher(q)); // still counted in q.dispatchers: goes on as a task of its own
        }
    }

    private MemberIo.Task dispatcher(Queue q) {
        return new MemberIo.Task() {
            @Override
            public void run() {
                dispatch(q, RUNS_PER_TURN);
            }

            @Override
            public void done(Throwable error) {
                if (error != null) { // refused by a stopping pool: fail what is queued
                    drainFailed(q, error);
                }
            }
        };
    }

    private void issue(int role, List<Request> run) {
        Request first = run.get(0);
        Throwable error = null;
        try {
            if (run.size() == 1) {
                transfer(role, first.write, first.address, first.buffers);
            } else {
                int n = 0;
                for (Request r : run) {
                    n += r.buffers.length;
                }
                ByteBuffer[] all = new ByteBuffer[n];
                int i = 0;
                for (Request r : run) {
                    for (ByteBuffer b : r.buffers) {
                        all[i++] = b;
                    }
                }
                transfer(role, first.write, first.address, all);
            }
        } catch (IOException | RuntimeException e) {
            error = e;
        }
        if (error != null && run.size() > 1) {
            // which page failed: each request on its own, as if never merged (buffers reset first)
            for (Request r : run) {
                Throwable own = null;
                try {
                    transfer(role, r.write, r.address, rewound(r));
                } catch (IOException | RuntimeException e) {
                    own = e;
                }
                complete(r, own);
            }
            return;
        }
        for (Request r : run) {
            complete(r, error);
        }
    }

    private void transfer(int role, boolean write, long address, ByteBuffer[] buffers) throws IOException {
        long bytes = 0;
        for (ByteBuffer b : buffers) {
            bytes += b.remaining();
        }
        if (write) {
            if (buffers.length == 1) {
                members.member(role).write(address, buffers[0]);
            } else {
                members.member(role).write(address, buffers);
            }
            metrics.memberWriteBytes.record((double) bytes);
        } else {
            if (buffers.length == 1) {
                members.member(role).read(address, buffers[0]);
            } else {
                members.member(role).read(address, buffers);
            }
            metrics.memberReadBytes.record((double) bytes);
        }
    }

    /** The request's buffers back at the bytes it asked for (a failed merged transfer may have moved them). */
    private static ByteBuffer[] rewound(Request r) {
        for (int i = 0; i < r.buffers.length; i++) {
            r.buffers[i].position(r.starts[i]);
        }
        return r.buffers;
    }

    private static void complete(Request r, Throwable error) {
        try {
            r.done.done(error);
        } catch (RuntimeException e) {
            // a completion's bug must not stop the dispatcher; the engine logs its own failures
            LOG.log(Level.SEVERE, "member request completion failed", e);
        }
    }

    private void drainFailed(Queue q, Throwable error) {
        NotIssued refused = new NotIssued(error);
        for (Request r : q.takeAll()) {
            complete(r, refused);
        }
    }
}
