package dev.strata.api.stanza;

import java.io.Serial;

/** Thrown by a handler to answer with a stanza error; the message becomes the error's text. */
public final class StanzaException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final StanzaError error;
    private final boolean echoPayload;

    public StanzaException(StanzaError error, String text) {
        this(error, text, true);
    }

    /**
     * @param echoPayload false to leave the request's payload out of the error reply (RFC 6120
     *        §8.3.1 allows either), as for requests that carry a password
     */
    public StanzaException(StanzaError error, String text, boolean echoPayload) {
        super(text);
        this.error = error;
        this.echoPayload = echoPayload;
    }

    public StanzaError error() {
        return error;
    }

    public boolean echoPayload() {
        return echoPayload;
    }
}
