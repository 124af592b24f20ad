package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;

/**
 * Answers one option code. Runs on the connection's event loop; must not block. It answers
 * through the {@link OptionExchange} (queued replies are flushed after it returns) and may end
 * haggling by entering transmission or closing. {@code data} is released by the caller.
 */
@FunctionalInterface
public interface OptionHandler {
    void handle(OptionExchange exchange, int option, ByteBuf data);
}
