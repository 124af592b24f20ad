package io.raid5d.nbd.lifecycle;

/**
 * User event fired through a connection's pipeline when the server shuts down: stop taking
 * requests, answer those in flight, then close. Connections still haggling close at once.
 */
public enum DrainEvent {
    INSTANCE
}
