package dev.strata.api.stanza;

import java.util.Locale;

import dev.strata.api.xml.Attribute;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Node;
import dev.strata.api.xml.Text;

/** The defined stanza error conditions of RFC 6120 §8.3.3, each with its default error type (§8.3.2). */
public enum StanzaError {
    BAD_REQUEST("modify"),
    CONFLICT("cancel"),
    FEATURE_NOT_IMPLEMENTED("cancel"),
    FORBIDDEN("auth"),
    GONE("cancel"),
    INTERNAL_SERVER_ERROR("cancel"),
    ITEM_NOT_FOUND("cancel"),
    JID_MALFORMED("modify"),
    NOT_ACCEPTABLE("modify"),
    NOT_ALLOWED("cancel"),
    NOT_AUTHORIZED("auth"),
    POLICY_VIOLATION("modify"),
    RECIPIENT_UNAVAILABLE("wait"),
    REDIRECT("modify"),
    REGISTRATION_REQUIRED("auth"),
    REMOTE_SERVER_NOT_FOUND("cancel"),
    REMOTE_SERVER_TIMEOUT("wait"),
    RESOURCE_CONSTRAINT("wait"),
    SERVICE_UNAVAILABLE("cancel"),
    SUBSCRIPTION_REQUIRED("auth"),
    UNDEFINED_CONDITION("cancel"),
    UNEXPECTED_REQUEST("wait");

    public static final String NS = "urn:ietf:params:xml:ns:xmpp-stanzas";

    private final String type;

    StanzaError(String type) {
        this.type = type;
    }

    /** The element name, e.g. {@code service-unavailable}. */
    public String condition() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public String type() {
        return type;
    }

    /**
     * The most characters of original payload an error reply echoes: RFC 6120 §8.3.1 makes the echo
     * optional, and echoing a large stanza doubles what a flood of refused stanzas costs.
     */
    public static final int MAX_ECHO_CHARS = 4096;

    /**
     * The error reply to {@code stanza} (RFC 6120 §8.3.1): same name and id, 'from' and 'to'
     * swapped, the original child elements when {@code echo} (never for a request that carries a
     * password) and they are at most {@link #MAX_ECHO_CHARS} of text, names and attribute values,
     * then the error.
     */
    public Element replyTo(Element stanza, String text, boolean echo) {
        return replyTo(stanza, text, echo, null);
    }

    /** The error reply with an application-specific condition (RFC 6120 §8.3.4), e.g. XEP-0191's {@code <blocked/>}. */
    public Element replyTo(Element stanza, String text, boolean echo, Element specific) {
        Element.Builder b = Element.builder(stanza.name(), "jabber:client").attribute("type", "error");
        if (stanza.attribute("id") != null) b.attribute("id", stanza.attribute("id"));
        if (stanza.attribute("to") != null) b.attribute("from", stanza.attribute("to"));
        if (stanza.attribute("from") != null) b.attribute("to", stanza.attribute("from"));
        if (echo && fits(stanza, new int[] {MAX_ECHO_CHARS})) b.children(stanza.elements().toList());
        return b.child(toElement(text, specific)).build();
    }

    /** Whether the element's children take at most {@code budget[0]} characters; stops counting once over. */
    private static boolean fits(Element e, int[] budget) {
        for (Node n : e.children()) {
            if (n instanceof Text t) budget[0] -= t.value().length();
            else if (n instanceof Element c) {
                budget[0] -= c.name().length() * 2 + 5;
                for (Attribute a : c.attributes()) budget[0] -= a.name().length() + a.value().length() + 4;
                if (budget[0] < 0 || !fits(c, budget)) return false;
            }
            if (budget[0] < 0) return false;
        }
        return true;
    }

    /** The {@code <error/>} element, with an optional human-readable text. */
    public Element toElement(String text) {
        return toElement(text, null);
    }

    /** The {@code <error/>} element with an optional text and application-specific condition (RFC 6120 §8.3.4). */
    public Element toElement(String text, Element specific) {
        Element.Builder b = Element.builder("error", "jabber:client").attribute("type", type).child(Element.of(condition(), NS));
        if (text != null && !text.isEmpty()) {
            b.child(Element.builder("text", NS).attribute(Element.XML_NS, "lang", "en").text(text).build());
        }
        if (specific != null) b.child(specific);
        return b.build();
    }
}
