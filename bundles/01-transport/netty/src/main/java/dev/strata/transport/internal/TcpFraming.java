package dev.strata.transport.internal;

import java.util.List;
import java.util.Map;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Attribute;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlWriter;

/** How a TCP (or TLS) stream frames itself (RFC 6120 §4): the stream header, features, errors and the closing tag. */
final class TcpFraming {
    static final String STREAMS_NS = "http://etherx.jabber.org/streams";
    static final String CLOSE = "</stream:stream>";
    static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    private TcpFraming() {
    }

    /**
     * A client stream's header with these attributes, as the stream layer gets it from a TCP stream:
     * what a WebSocket {@code <open/>} and a BOSH {@code <body/>} stand for.
     */
    static XmlEvent.StreamOpen clientStreamOpen(Iterable<Attribute> attributes) {
        Element.Builder header = Element.builder("stream", STREAMS_NS);
        for (Attribute a : attributes) header.attribute(a.namespace(), a.name(), a.value());
        return new XmlEvent.StreamOpen(header.build(), Map.of("stream", STREAMS_NS, "", "jabber:client"));
    }

    /** The XML declaration and {@code <stream:stream>}; a null header: one without 'from' and 'id' (a refusal before any stream). */
    static String header(StreamHeader h) {
        String ns = h == null ? StreamHeader.CLIENT : h.namespace();
        StringBuilder sb = new StringBuilder("<?xml version='1.0'?><stream:stream xmlns='").append(attr(ns)).append("' xmlns:stream='").append(STREAMS_NS).append('\'');
        if (StreamHeader.SERVER.equals(ns)) sb.append(" xmlns:db='").append(StreamHeader.DIALBACK).append('\'');
        if (h != null) {
            if (h.id() != null) sb.append(" id='").append(attr(h.id())).append('\'');
            if (h.from() != null) sb.append(" from='").append(attr(h.from())).append('\'');
            if (h.to() != null) sb.append(" to='").append(attr(h.to())).append('\'');
        }
        // XEP-0114's component protocol predates stream versions: its header has none (and no features follow)
        return sb.append(StreamHeader.COMPONENT.equals(ns) ? "" : " version='1.0'").append(" xml:lang='en'>").toString();
    }

    static String features(List<Element> features) {
        StringBuilder sb = new StringBuilder("<stream:features>");
        for (Element f : features) sb.append(XmlWriter.toString(f, ""));
        return sb.append("</stream:features>").toString();
    }

    /** {@code <stream:error>} and the closing tag (RFC 6120 §4.9.2). */
    static String error(StreamError error, String text) {
        return "<stream:error><" + error.condition() + " xmlns='" + StreamError.NS + "'/>"
                + (text == null ? "" : "<text xmlns='" + StreamError.NS + "' xml:lang='en'>" + text(text) + "</text>")
                + "</stream:error>" + CLOSE;
    }

    private static String attr(String s) {
        return text(s).replace("'", "&apos;").replace("\"", "&quot;");
    }

    private static String text(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
