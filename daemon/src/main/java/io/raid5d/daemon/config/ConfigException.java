package io.raid5d.daemon.config;

/** A configuration file that cannot be used, with the file and line in the message. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
