package io.raid5d.core.array;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that do blocking member I/O for one array. Its queue is bounded: when full, a
 * request fails at once (the NBD side bounds requests per connection, so this only trips
 * under abuse) rather than blocking the caller, which may be a Netty event loop.
 */
final class MemberIoExecutor {
    /** A piece of blocking work. */
    interface IoTask {
        void run() throws IOException;
    }

    private static final int QUEUE_CAPACITY = 4096;
    private final ThreadPoolExecutor pool;
    private final String arrayName;

    MemberIoExecutor(String arrayName, int threads) {
        this.arrayName = arrayName;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), r -> {
                    Thread t = new Thread(r, "raid5-io-" + arrayName + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    CompletableFuture<Void> submit(IoTask task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    task.run();
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(pool.isShutdown()
                    ? new IOException("array " + arrayName + " is stopping") : Raid5Array.overloaded(arrayName));
        }
        return done;
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
