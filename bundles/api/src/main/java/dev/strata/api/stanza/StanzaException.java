package dev.strata.api.stanza;

import java.io.Serial;

/** Thrown by a handler to answer with a stanza error; the message becomes the error's text. */
public final class StanzaException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final StanzaError error;

    public StanzaException(StanzaError error, String text) {
        super(text);
        this.error = error;
    }

    public StanzaError error() {
        return error;
    }
}
