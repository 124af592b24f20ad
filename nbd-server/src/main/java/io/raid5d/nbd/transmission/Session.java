package io.raid5d.nbd.transmission;

/**
 * What one connection negotiated during option haggling, read by the transmission stages.
 * Created per connection, written while haggling and only read afterwards; confined to the
 * connection's event loop.
 */
public final class Session {
    private boolean tlsActive;
    private boolean structuredReplies;
    /** Export the last NBD_OPT_SET_META_CONTEXT named; null if none selected a context. */
    private String metaContextExport;
    private boolean baseAllocation;
    private boolean blockSizeAgreed;

    public boolean tlsActive() { return tlsActive; }
    /**
     * TLS is up: everything negotiated in plaintext is forgotten, as the spec requires, so a
     * man in the middle cannot have chosen it (structured replies or meta contexts injected
     * before the upgrade: the bug class of nbdkit's CVE-2021-3716). The client negotiates again.
     */
    public void tlsStarted() {
        tlsActive = true;
        structuredReplies = false;
        metaContextExport = null;
        baseAllocation = false;
        blockSizeAgreed = false;
    }

    public boolean structuredReplies() { return structuredReplies; }
    public void structuredRepliesAgreed() { structuredReplies = true; }

    /** {@code base:allocation} was selected for the export the connection is serving. */
    public boolean baseAllocation() { return baseAllocation; }

    /** Records the outcome of NBD_OPT_SET_META_CONTEXT, which replaces any earlier selection. */
    public void selectMetaContexts(String export, boolean baseAllocation) {
        this.metaContextExport = baseAllocation ? export : null;
        this.baseAllocation = baseAllocation;
    }

    /**
     * Called when transmission starts on {@code export}: contexts selected for another export
     * do not carry over (the spec makes them unusable).
     */
    public void enteringTransmission(String export) {
        if (metaContextExport != null && !metaContextExport.equals(export)) {
            selectMetaContexts(null, false);
        }
    }

    /** The client asked for NBD_INFO_BLOCK_SIZE in the NBD_OPT_GO that started transmission. */
    public boolean blockSizeAgreed() { return blockSizeAgreed; }
    public void blockSizeAgreed(boolean agreed) { blockSizeAgreed = agreed; }
}
