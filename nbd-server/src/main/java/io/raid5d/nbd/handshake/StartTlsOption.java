package io.raid5d.nbd.handshake;

import io.netty.buffer.ByteBuf;
import io.raid5d.nbd.protocol.OptionReplyType;

/**
 * NBD_OPT_STARTTLS: ACK and upgrade when the server has a certificate; NBD_REP_ERR_POLICY
 * when it has none (the spec's NOTLS mode); NBD_REP_ERR_INVALID when TLS is already up or the
 * option carries data.
 */
final class StartTlsOption implements OptionHandler {

    @Override
    public void handle(OptionExchange exchange, int option, ByteBuf data) {
        if (data.isReadable()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
        } else if (!exchange.tls().enabled()) {
            exchange.replyError(option, OptionReplyType.ERR_POLICY, "TLS is not configured on this server");
        } else if (exchange.session().tlsActive()) {
            exchange.replyError(option, OptionReplyType.ERR_INVALID, "TLS is already active");
        } else {
            exchange.startTls(option);
        }
    }
}
