package dev.strata.api.xml;

import java.io.Serial;

/**
 * The byte stream is not acceptable XMPP XML. {@link #condition()} is the RFC 6120 §4.9.3 stream
 * error to send before closing the stream; the message is a human-readable text for it.
 */
public final class XmlException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The stream error conditions an XML reader can cause. */
    public enum Condition {
        /** §4.9.3.13: the XML is not well-formed. */
        NOT_WELL_FORMED("not-well-formed"),
        /** §4.9.3.18 and §11.1: comments, processing instructions, DTDs or entity references. */
        RESTRICTED_XML("restricted-xml"),
        /** §4.9.3.14: a configured limit (size, depth, attributes) was exceeded. */
        POLICY_VIOLATION("policy-violation"),
        /** §4.9.3.22 and §11.6: the stream is not UTF-8. */
        UNSUPPORTED_ENCODING("unsupported-encoding");

        private final String streamError;

        Condition(String streamError) {
            this.streamError = streamError;
        }

        /** The stream error element name, e.g. {@code not-well-formed}. */
        public String streamError() {
            return streamError;
        }
    }

    private final Condition condition;

    public XmlException(Condition condition, String message) {
        super(message);
        this.condition = condition;
    }

    public XmlException(Condition condition, String message, Throwable cause) {
        super(message, cause);
        this.condition = condition;
    }

    public Condition condition() {
        return condition;
    }
}
