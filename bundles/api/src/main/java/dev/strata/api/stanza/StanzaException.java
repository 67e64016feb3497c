package dev.strata.api.stanza;

import java.io.Serial;

import dev.strata.api.xml.Element;

/** Thrown by a handler to answer with a stanza error; the message becomes the error's text. */
public final class StanzaException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final StanzaError error;
    private final boolean echoPayload;
    private final Element specific;

    public StanzaException(StanzaError error, String text) {
        this(error, text, true);
    }

    /**
     * @param echoPayload false to leave the request's payload out of the error reply (RFC 6120
     *        §8.3.1 allows either), as for requests that carry a password
     */
    public StanzaException(StanzaError error, String text, boolean echoPayload) {
        this(error, text, echoPayload, null);
    }

    /** With an application-specific condition element (RFC 6120 §8.3.4), e.g. XEP-0050's {@code <bad-sessionid/>}. */
    public StanzaException(StanzaError error, String text, Element specific) {
        this(error, text, true, specific);
    }

    private StanzaException(StanzaError error, String text, boolean echoPayload, Element specific) {
        super(text);
        this.error = error;
        this.echoPayload = echoPayload;
        this.specific = specific;
    }

    /** The application-specific condition, or null. */
    public Element specific() {
        return specific;
    }

    public StanzaError error() {
        return error;
    }

    public boolean echoPayload() {
        return echoPayload;
    }
}
