package dev.strata.api.xml;

import java.util.Map;

/** What the transport's streaming XML reader reports of a stream, in order. */
public sealed interface XmlEvent {
    /**
     * The stream root opened. {@code header} carries its name, namespace and attributes (no
     * children); {@code namespaces} maps each declared prefix ("" for the default) to its URI.
     */
    record StreamOpen(Element header, Map<String, String> namespaces) implements XmlEvent {
        public StreamOpen {
            namespaces = Map.copyOf(namespaces);
        }
    }

    /** A complete child of the stream root: a stanza or a negotiation element. */
    record TopLevel(Element element) implements XmlEvent {
    }

    /** The stream root closed ({@code </stream:stream>}). */
    record StreamClose() implements XmlEvent {
    }
}
