package dev.strata.api;

import java.io.Serial;

/**
 * A string is not a valid JID under RFC 7622. The message names the part and the rule it breaks,
 * suitable for the text of a {@code jid-malformed} error.
 */
public final class InvalidJidException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String input;

    public InvalidJidException(String input, String reason) {
        super(reason);
        this.input = input;
    }

    public InvalidJidException(String input, String reason, Throwable cause) {
        super(reason, cause);
        this.input = input;
    }

    /** The string that was rejected. */
    public String input() {
        return input;
    }
}
