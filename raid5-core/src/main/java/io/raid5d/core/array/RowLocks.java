package io.raid5d.core.array;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per chunk row (stripe of chunks), striped over a fixed table so memory stays
 * bounded for any array size. Whoever changes a row's data or parity (writes, resync,
 * repair) holds its lock for the whole read-modify-write, so parity never mixes two writers.
 * Reads take no lock: they see completed writes because member writes finish before the
 * write's future completes.
 */
final class RowLocks {
    private static final int TABLE_SIZE = 1024; // power of two
    private final ReentrantLock[] locks = new ReentrantLock[TABLE_SIZE];

    RowLocks() {
        for (int i = 0; i < TABLE_SIZE; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    ReentrantLock forRow(long row) {
        return locks[(int) (row & (TABLE_SIZE - 1))];
    }
}
