package io.raid5d.core.stripe;

import io.raid5d.core.member.MemberSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
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
    private static final int QUEUED = 0;
    private static final int STARTED = 1;
    private static final int DIRECT = 2;
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
        private int dispatchers; // running or scheduled on the I/O pool, or issuing a request directly
        private int pending; // queued requests not taken yet

        Queue(int role) {
            this.role = role;
        }

        /**
         * {@link #DIRECT}: nothing waits and a dispatcher place is free, so the caller took it and
         * issues {@code r} itself (nothing to merge with, and no queue to keep); {@link #STARTED}:
         * queued, and the caller took a dispatcher place it must run; {@link #QUEUED}: queued for
         * the running dispatchers.
         */
        synchronized int enqueue(Request r) {
            if (dispatchers < depth && pending == 0) {
                dispatchers++;
                fifo.clear(); // only taken ones are left
                return DIRECT;
            }
            hold(r);
            return claim(1) == 1 ? STARTED : QUEUED;
        }

        /** Queues {@code r} without starting anything (an unplug; {@link #claim} follows). */
        synchronized void hold(Request r) {
            fifo.add(r);
            (r.write ? writes : reads).putIfAbsent(r.address, r); // a second request at an address goes alone
            pending++;
        }

        /** Takes up to {@code wanted} free dispatcher places; returns how many the caller must start. */
        synchronized int claim(int wanted) {
            int n = Math.max(0, Math.min(wanted, depth - dispatchers));
            dispatchers += n;
            return n;
        }

        /** A dispatcher that finds nothing queued gives its place back (true); else it goes on. */
        synchronized boolean releaseIfEmpty() {
            if (pending == 0) {
                fifo.clear(); // only taken ones are left
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
            pending--;
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
            pending = 0;
            dispatchers--;
            return all;
        }
    }

    private final MemberIo io;
    private final MemberSet members;
    private final StripeMetrics metrics;
    private final int depth;
    private final Queue[] queues;
    private final ThreadLocal<Plug> plugs = new ThreadLocal<>();

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
        Plug plug = plugs.get();
        if (plug != null && plug.depth > 0) {
            plug.add(queues[role], r);
            return;
        }
        Queue q = queues[role];
        int how = q.enqueue(r);
        if (how != QUEUED) {
            io.submit(dispatcher(q, how == DIRECT ? r : null));
        }
    }

    /**
     * md's plug (blk_start_plug in raid5d's loop): until the matching {@link #unplug()}, this
     * thread's requests are held back, then queued all at once, so the pages of the stripes a
     * worker handled in one round are adjacent in the queues when the dispatchers look, and merge
     * (a rebuild window, a run of small sequential writes) instead of leaving one by one.
     */
    void plug() {
        Plug p = plugs.get();
        if (p == null) {
            p = new Plug();
            plugs.set(p);
        }
        p.depth++;
    }

    /** Ends this thread's plug: its held requests are queued, and idle members get a dispatcher each. */
    void unplug() {
        Plug p = plugs.get();
        if (--p.depth > 0 || p.queues.isEmpty()) {
            return;
        }
        // each member gets as many dispatchers as its held requests form runs (up to the depth)
        int[] runs = new int[queues.length];
        Set<Long> ends = new HashSet<>();
        for (Queue q : queues) {
            ends.clear();
            for (int i = 0; i < p.requests.size(); i++) {
                if (p.queues.get(i) == q) {
                    ends.add(p.requests.get(i).end);
                }
            }
            for (int i = 0; i < p.requests.size(); i++) {
                if (p.queues.get(i) == q && !ends.contains(p.requests.get(i).address)) {
                    runs[q.role]++; // a run starts here: nothing held ends where it begins
                }
            }
        }
        for (int i = 0; i < p.requests.size(); i++) {
            p.queues.get(i).hold(p.requests.get(i));
        }
        p.queues.clear();
        p.requests.clear();
        for (Queue q : queues) {
            for (int n = q.claim(runs[q.role]); n > 0; n--) {
                io.submit(dispatcher(q, null)); // members in parallel: a plug holds much
            }
        }
    }

    /** One thread's held-back requests; touched only by that thread. */
    private static final class Plug {
        int depth;
        final List<Queue> queues = new ArrayList<>();
        final List<Request> requests = new ArrayList<>();

        void add(Queue q, Request r) {
            queues.add(q);
            requests.add(r);
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

        /** Queues every request (held back while this thread is plugged); the idle members' dispatching starts on one task. */
        void submit() {
            Plug plug = plugs.get();
            if (plug != null && plug.depth > 0) {
                for (int i = 0; i < requests.size(); i++) {
                    plug.add(targets.get(i), requests.get(i));
                }
                return;
            }
            int n = enqueueAll();
            if (n == 0) {
                return;
            }
            if (n == 1) {
                io.submit(dispatcher(startQueues.get(0), startDirect.get(0)));
                return;
            }
            io.submit(new MemberIo.Task() {
                int next; // members whose first run this task issued (the rest fail if the pool refused it)

                @Override
                public void run() {
                    for (; next < n; next++) {
                        dispatch(startQueues.get(next), startDirect.get(next), 1);
                    }
                }

                @Override
                public void done(Throwable error) {
                    if (error != null) {
                        for (int i = next; i < n; i++) {
                            refused(startQueues.get(i), startDirect.get(i), error);
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
            int n = enqueueAll();
            for (int i = 0; i < n; i++) {
                dispatch(startQueues.get(i), startDirect.get(i), 1);
            }
        }

        // the members whose dispatcher place the requests took, and the request each issues directly (or null)
        private final List<Queue> startQueues = new ArrayList<>(4);
        private final List<Request> startDirect = new ArrayList<>(4);

        /** Queues (or claims for direct issue) every request; returns how many dispatcher places were taken. */
        private int enqueueAll() {
            for (int i = 0; i < requests.size(); i++) {
                Queue q = targets.get(i);
                Request r = requests.get(i);
                int how = q.enqueue(r);
                if (how != QUEUED) {
                    startQueues.add(q);
                    startDirect.add(how == DIRECT ? r : null);
                }
            }
            return startQueues.size();
        }
    }

    private static boolean fits(Request r, long bytes, int buffers) {
        return bytes + r.bytes() <= MAX_RUN_BYTES && buffers + r.buffers.length <= MAX_RUN_BUFFERS;
    }

    /**
     * A dispatcher's turn on {@code q}: issues {@code direct} (a request that found the queue idle
     * and was never queued) if any, then queued runs up to {@code maxRuns} in all; gives its place
     * back when nothing is queued, else goes on as a new task at the back of the I/O pool (after
     * {@link #RUNS_PER_TURN} runs a dispatcher yields, so a busy member cannot keep a thread from
     * the others).
     */
    private void dispatch(Queue q, Request direct, int maxRuns) {
        int runs = 0;
        if (direct != null) {
            issue(q.role, List.of(direct));
            runs++;
        }
        for (; runs < maxRuns; runs++) {
            List<Request> run = q.takeRun();
            if (run == null) {
                return; // empty: its place was given back
            }
            issue(q.role, run);
        }
        if (!q.releaseIfEmpty()) {
            io.submit(dispatcher(q, null)); // still counted in q.dispatchers: goes on as a task of its own
        }
    }

    private MemberIo.Task dispatcher(Queue q, Request direct) {
        return new MemberIo.Task() {
            @Override
            public void run() {
                dispatch(q, direct, RUNS_PER_TURN);
            }

            @Override
            public void done(Throwable error) {
                if (error != null) { // refused by a stopping pool: fail what is queued
                    refused(q, direct, error);
                }
            }
        };
    }

    /** A dispatcher task the pool refused (the array is stopping): its request and everything queued fail. */
    private void refused(Queue q, Request direct, Throwable error) {
        if (direct != null) {
            complete(direct, new NotIssued(error));
        }
        drainFailed(q, error);
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
