package dev.strata.api.stanza;

import java.util.Objects;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * A view of an {@code <iq/>} stanza (RFC 6120 §8.2.3): id, type, addresses and the payload
 * (its single child for get and set).
 */
public record Iq(Element element, String id, Type type, Jid from, Jid to, Element payload) {
    public static final String CLIENT_NS = "jabber:client";

    /** IQ types. */
    public enum Type {
        GET, SET, RESULT, ERROR;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Iq {
        Objects.requireNonNull(element, "element");
        Objects.requireNonNull(type, "type");
    }

    /** Reads an IQ; {@code from} and {@code to} as stamped by the server. Throws for a malformed IQ. */
    public static Iq of(Element iq, Jid from, Jid to) throws StanzaException {
        String id = iq.attribute("id");
        if (id == null || id.isEmpty()) throw new StanzaException(StanzaError.BAD_REQUEST, "An IQ needs an 'id' (RFC 6120 §8.2.3)");
        Type type;
        try {
            type = Type.valueOf(String.valueOf(iq.attribute("type")).toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "An IQ's type is get, set, result or error (RFC 6120 §8.2.3)");
        }
        long children = iq.elements().count();
        if ((type == Type.GET || type == Type.SET) && children != 1) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "An IQ get or set has exactly one child element (RFC 6120 §8.2.3)");
        }
        return new Iq(iq, id, type, from, to, iq.firstChild().orElse(null));
    }

    /** The qualified name of the payload, as {@code namespace element}, for routing. */
    public String namespace() {
        return payload == null ? "" : payload.namespace();
    }

    /** A result reply, with an optional payload. */
    public Element result(Element child) {
        Element.Builder b = Element.builder("iq", CLIENT_NS).attribute("type", "result").attribute("id", id);
        if (to != null) b.attribute("from", to.toString());
        if (from != null) b.attribute("to", from.toString());
        if (child != null) b.child(child);
        return b.build();
    }

    /** An error reply that includes the original payload (RFC 6120 §8.3.1 allows it). */
    public Element error(StanzaError error, String text) {
        return error(error, text, true);
    }

    /** The error reply for a handler's exception, with the payload unless it asked otherwise. */
    public Element error(StanzaException e) {
        return reply(e.error().toElement(e.getMessage(), e.specific()), e.echoPayload());
    }

    /** An error reply, with or without the original payload. */
    public Element error(StanzaError error, String text, boolean echoPayload) {
        return reply(error.toElement(text), echoPayload);
    }

    private Element reply(Element error, boolean echoPayload) {
        Element.Builder b = Element.builder("iq", CLIENT_NS).attribute("type", "error").attribute("id", id);
        if (to != null) b.attribute("from", to.toString());
        if (from != null) b.attribute("to", from.toString());
        if (payload != null && echoPayload) b.child(payload);
        return b.child(error).build();
    }
}
