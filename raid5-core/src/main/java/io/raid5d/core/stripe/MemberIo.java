package io.raid5d.core.stripe;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that do blocking member I/O for one array. Nothing else blocks on a member.
 * Its queue is bounded (the stripe cache and the NBD in-flight limits bound the work anyway);
 * a full queue fails the task rather than blocking the caller. Never interrupts its threads:
 * an interrupt would close a FileChannel.
 */
final class MemberIo {
    /** Blocking work to run on an I/O thread; {@code done} is called with its outcome. */
    interface Task {
        void run() throws IOException;

        void done(Throwable error);
    }

    private static final int QUEUE_CAPACITY = 8192;
    private final ThreadPoolExecutor pool;
    private final String arrayName;

    MemberIo(String arrayName, int threads) {
        this.arrayName = arrayName;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), r -> {
                    Thread t = new Thread(r, "raid5-io-" + arrayName + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    void submit(Task task) {
        try {
            pool.execute(() -> {
                Throwable error = null;
                try {
                    task.run();
                } catch (Throwable e) {
                    error = e;
                }
                task.done(error);
            });
        } catch (RejectedExecutionException e) {
            task.done(pool.isShutdown() ? new IOException("array " + arrayName + " is stopping")
                    : new RejectedExecutionException("array " + arrayName + " has too many member I/Os queued"));
        }
    }

    /** Refuses new work and waits for everything queued to finish. */
    void shutdownAndDrain() {
        pool.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.SECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
