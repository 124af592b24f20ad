package io.raid5d.core.stripe;

/**
 * Work that must attach to stripe heads: a write (or trim) or a sync of one stripe. A request
 * that finds no free head waits, in arrival order, on the engine's wait queue (back-pressure)
 * and attaches the rest when heads are released. Guarded by the engine lock while attaching.
 */
abstract class Request {
    /** Attaches as much as heads allow; true when fully attached. Engine lock held. */
    abstract boolean attach(RequestAdmission admission);
}
