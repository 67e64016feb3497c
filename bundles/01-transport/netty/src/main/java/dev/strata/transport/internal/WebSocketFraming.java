package dev.strata.transport.internal;

import java.util.List;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlWriter;

/**
 * How an RFC 7395 WebSocket stream frames itself: {@code <open/>} and {@code <close/>} in the
 * framing namespace instead of {@code <stream:stream>}, and every message one whole element that
 * declares its own namespaces (§3.3.3).
 */
final class WebSocketFraming {
    static final String NS = "urn:ietf:params:xml:ns:xmpp-framing";
    static final String CLOSE = "<close xmlns='" + NS + "'/>";

    private WebSocketFraming() {
    }

    /** §3.3.2: the server's {@code <open/>}; a null header: one without 'from' and 'id' (an error before any stream). */
    static String open(StreamHeader h) {
        StringBuilder sb = new StringBuilder("<open xmlns='").append(NS).append('\'');
        if (h != null) {
            if (h.from() != null) attribute(sb, "from", h.from());
            if (h.id() != null) attribute(sb, "id", h.id());
        }
        return sb.append(" version='1.0' xml:lang='en'/>").toString();
    }

    static String features(List<Element> features) {
        StringBuilder sb = new StringBuilder("<stream:features xmlns:stream='").append(TcpFraming.STREAMS_NS).append("'>");
        for (Element f : features) sb.append(XmlWriter.toString(f, ""));
        return sb.append("</stream:features>").toString();
    }

    /** §3.6.1: a redirect to another WebSocket endpoint. */
    static String seeOther(String uri) {
        StringBuilder sb = new StringBuilder("<close xmlns='").append(NS).append('\'');
        attribute(sb, "see-other-uri", uri);
        return sb.append("/>").toString();
    }

    /** {@code <stream:error>} as a message of its own (§3.6.3); {@link #CLOSE} follows it. */
    static String error(StreamError error, String text) {
        StringBuilder sb = new StringBuilder("<stream:error xmlns:stream='").append(TcpFraming.STREAMS_NS).append("'><")
                .append(error.condition()).append(" xmlns='").append(StreamError.NS).append("'/>");
        if (text != null) {
            sb.append("<text xmlns='").append(StreamError.NS).append("' xml:lang='en'>");
            XmlWriter.escapeAttribute(text, sb); // escapes a little more than text needs
            sb.append("</text>");
        }
        return sb.append("</stream:error>").toString();
    }

    private static void attribute(StringBuilder sb, String name, String value) {
        sb.append(' ').append(name).append("=\"");
        XmlWriter.escapeAttribute(value, sb);
        sb.append('"');
    }
}
