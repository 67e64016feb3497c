package dev.strata.api.xml;

/**
 * Serializes elements into a {@link Sink} (the transport's pooled buffers: no intermediate
 * string), or into a string for logs, storage and tests. Text and attribute values are escaped so that any element built
 * through the API reads back equal; a child whose namespace differs from its parent's declares
 * it with {@code xmlns}.
 */
public final class XmlWriter {
    private XmlWriter() {
    }

    /**
     * Writes {@code element} into {@code out}. {@code contextNamespace} is the default namespace in
     * force where the element is written ({@code jabber:client} for a stanza on a client stream),
     * so that it is not declared again.
     */
    public static void write(Element element, Sink out, String contextNamespace) {
        writeElement(element, out, contextNamespace);
    }

    /** The serialized form as a string. */
    public static String toString(Element element, String contextNamespace) {
        StringBuilder sb = new StringBuilder(64);
        writeElement(element, new StringSink(sb), contextNamespace);
        return sb.toString();
    }

    /** Where serialized XML goes: ASCII markup, and text to encode as UTF-8. */
    public interface Sink {
        void ascii(String s);

        void ascii(char c);

        /** {@code s} from index {@code from} (inclusive) to {@code to} (exclusive), already escaped. */
        void text(String s, int from, int to);
    }

    private record StringSink(StringBuilder sb) implements Sink {
        @Override
        public void ascii(String s) {
            sb.append(s);
        }

        @Override
        public void ascii(char c) {
            sb.append(c);
        }

        @Override
        public void text(String s, int from, int to) {
            sb.append(s, from, to);
        }
    }

    private static void writeElement(Element e, Sink out, String contextNs) {
        out.ascii('<');
        out.text(e.name(), 0, e.name().length());
        if (!e.namespace().equals(contextNs)) {
            out.ascii(" xmlns=\"");
            escape(e.namespace(), out, true);
            out.ascii('"');
        }
        int prefixes = 0;
        for (Attribute a : e.attributes()) {
            out.ascii(' ');
            if (a.namespace().equals(Element.XML_NS)) {
                out.ascii("xml:");
            } else if (!a.namespace().isEmpty()) {
                String prefix = "ns" + prefixes++;
                out.ascii("xmlns:" + prefix + "=\"");
                escape(a.namespace(), out, true);
                out.ascii("\" " + prefix + ":");
            }
            out.text(a.name(), 0, a.name().length());
            out.ascii("=\"");
            escape(a.value(), out, true);
            out.ascii('"');
        }
        if (e.children().isEmpty()) {
            out.ascii("/>");
            return;
        }
        out.ascii('>');
        for (Node child : e.children()) {
            switch (child) {
                case Element c -> writeElement(c, out, e.namespace());
                case Text(String value) -> escape(value, out, false);
            }
        }
        out.ascii("</");
        out.text(e.name(), 0, e.name().length());
        out.ascii('>');
    }

    /** Appends {@code value} escaped for a double-quoted attribute. */
    public static void escapeAttribute(String value, StringBuilder sb) {
        escape(value, new StringSink(sb), true);
    }

    /** Writes runs of safe characters in one call and escapes the rest. */
    private static void escape(String s, Sink out, boolean attribute) {
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            String rep = switch (s.charAt(i)) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> attribute ? "&quot;" : null;
                case '\r' -> "&#13;";
                case '\t' -> attribute ? "&#9;" : null;
                case '\n' -> attribute ? "&#10;" : null;
                default -> null;
            };
            if (rep != null) {
                if (i > run) out.text(s, run, i);
                out.ascii(rep);
                run = i + 1;
            }
        }
        if (run < s.length()) out.text(s, run, s.length());
    }
}
