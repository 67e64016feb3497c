package dev.strata.api.stanza;

import java.util.Locale;

/** The defined stream error conditions of RFC 6120 §4.9.3. */
public enum StreamError {
    BAD_FORMAT, BAD_NAMESPACE_PREFIX, CONFLICT, CONNECTION_TIMEOUT, HOST_GONE, HOST_UNKNOWN, IMPROPER_ADDRESSING,
    INTERNAL_SERVER_ERROR, INVALID_FROM, INVALID_NAMESPACE, INVALID_XML, NOT_AUTHORIZED, NOT_WELL_FORMED, POLICY_VIOLATION,
    REMOTE_CONNECTION_FAILED, RESET, RESOURCE_CONSTRAINT, RESTRICTED_XML, SEE_OTHER_HOST, SYSTEM_SHUTDOWN, UNDEFINED_CONDITION,
    UNSUPPORTED_ENCODING, UNSUPPORTED_FEATURE, UNSUPPORTED_STANZA_TYPE, UNSUPPORTED_VERSION;

    public static final String NS = "urn:ietf:params:xml:ns:xmpp-streams";

    /** The element name, e.g. {@code not-well-formed}. */
    public String condition() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The condition named by an element name, e.g. from {@link dev.strata.api.xml.XmlException.Condition#streamError()}. */
    public static StreamError of(String condition) {
        return valueOf(condition.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
