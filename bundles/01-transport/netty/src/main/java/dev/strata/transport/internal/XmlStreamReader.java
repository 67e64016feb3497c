package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;

import com.fasterxml.aalto.AsyncByteBufferFeeder;
import com.fasterxml.aalto.AsyncXMLInputFactory;
import com.fasterxml.aalto.AsyncXMLStreamReader;
import com.fasterxml.aalto.stax.InputFactoryImpl;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlException.Condition;
import dev.strata.api.xml.XmlLimits;
import dev.strata.api.xml.XmlWriter;

/**
 * A non-blocking reader for one XMPP stream. Feed it bytes as they arrive, split anywhere (even
 * inside a UTF-8 sequence); it reports the stream root opening, each complete top-level element,
 * and the root closing. It never blocks and never buffers more than {@link XmlLimits} allow.
 *
 * <p>As RFC 6120 §11.1 requires, comments, processing instructions, DTDs and entity references
 * other than the five predefined ones are refused ({@code restricted-xml}); so no entity is ever
 * expanded (no billion laughs, no external entities). After any {@link XmlException} the reader
 * is unusable; the stream must be closed. Not thread-safe: one reader per connection, fed from
 * its event loop. Call {@link #reset()} when the stream restarts (after STARTTLS or SASL).
 */
public final class XmlStreamReader {
    private static final AsyncXMLInputFactory FACTORY = newFactory();
    private static final byte[] DOCTYPE = "<!DOCTYPE".getBytes(US_ASCII);

    private final XmlLimits limits;
    private final ArrayDeque<Element.Builder> open = new ArrayDeque<>();
    private AsyncXMLStreamReader<AsyncByteBufferFeeder> parser;
    private long fed;            // bytes fed since the last reset
    private long base;           // stream offset of the parser's first byte (not 0 once it woke from hibernation)
    private long contentEnd;     // stream offset after the last byte fed that is not whitespace
    private byte[] header;       // the stream header as re-read on waking: name and namespace declarations
    private long bufferedFrom;   // offset from which bytes are held for the element or event in progress
    private boolean rootOpen;
    private int doctypeMatched;  // prefix of "<!DOCTYPE" seen at the end of the prolog so far
    private boolean closed;
    private boolean failed;

    public XmlStreamReader(XmlLimits limits) {
        this.limits = limits;
        reset();
    }

    private static AsyncXMLInputFactory newFactory() {
        AsyncXMLInputFactory f = new InputFactoryImpl();
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_COALESCING, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        return f;
    }

    /**
     * Parses one element from a string (a stored document, a test fixture), with the same
     * refusals and {@link XmlLimits#DEFAULT} bounds as a stream.
     */
    public static Element parse(String xml) throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        Element[] found = new Element[1];
        byte[] bytes = ("<document>" + xml + "</document>").getBytes(UTF_8);
        reader.feed(bytes, 0, bytes.length, e -> {
            if (e instanceof XmlEvent.TopLevel(Element el) && found[0] == null) found[0] = el;
        });
        if (found[0] == null) throw new XmlException(Condition.NOT_WELL_FORMED, "No element in the document");
        return found[0];
    }

    /** Starts a new stream document, discarding anything buffered (stream restart). */
    public void reset() {
        parser = FACTORY.createAsyncForByteBuffer();
        open.clear();
        fed = 0;
        base = 0;
        contentEnd = 0;
        header = null;
        bufferedFrom = 0;
        rootOpen = false;
        doctypeMatched = 0;
        closed = false;
        failed = false;
    }

    /** Feeds bytes from a byte array. */
    public void feed(byte[] bytes, int offset, int length, Consumer<? super XmlEvent> sink) throws XmlException {
        feed(ByteBuffer.wrap(bytes, offset, length), sink);
    }

    /**
     * Feeds the remaining bytes of {@code buffer} and reports every event they complete to
     * {@code sink}, in order. The buffer is fully consumed when this returns.
     */
    public void feed(ByteBuffer buffer, Consumer<? super XmlEvent> sink) throws XmlException {
        if (failed) throw new XmlException(Condition.NOT_WELL_FORMED, "The stream already failed");
        if (!buffer.hasRemaining()) return;
        int length = buffer.remaining();
        if (!rootOpen) refuseDoctype(buffer);
        if (parser == null) wake();
        for (int i = buffer.limit() - 1; i >= buffer.position(); i--) {
            byte b = buffer.get(i);
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                contentEnd = fed + (i - buffer.position()) + 1;
                break;
            }
        }
        try {
            parser.getInputFeeder().feedInput(buffer);
        } catch (XMLStreamException e) {
            throw notWellFormed(e);
        }
        fed += length;
        while (true) {
            int event;
            try {
                event = parser.next();
            } catch (XMLStreamException | RuntimeException e) {
                throw notWellFormed(e);
            }
            if (event == AsyncXMLStreamReader.EVENT_INCOMPLETE) break;
            if (offset(true) - bufferedFrom > limits.maxElementBytes()) tooLarge(); // an element, or a stream header, read whole in one chunk
            handle(event, sink);
        }
        if (fed - bufferedFrom > limits.maxElementBytes()) tooLarge();
    }

    /**
     * Drops the parser (some 3.5 KB of buffers and symbol tables) when the stream is between
     * top-level elements with nothing but whitespace pending: an idle session then holds only the
     * stream header's bytes. The next {@link #feed} re-reads that header into a new parser first,
     * so prefixes and the default namespace declared on it still apply.
     *
     * @return whether the parser was dropped (false mid-element, before the stream header, after its end)
     */
    public boolean hibernate() {
        if (parser == null) return true;
        if (!rootOpen || closed || failed || !open.isEmpty() || contentEnd > bufferedFrom) return false;
        try {
            parser.close();
        } catch (XMLStreamException e) {
            // nothing held that a close could lose
        }
        parser = null;
        return true;
    }

    /** Whether the stream's root is open and no element is in progress (nothing but whitespace pending). */
    public boolean betweenElements() {
        return rootOpen && !closed && !failed && open.isEmpty();
    }

    /** Whether the parser is dropped until the next bytes arrive. */
    public boolean isHibernating() {
        return parser == null;
    }

    private void wake() throws XmlException {
        parser = FACTORY.createAsyncForByteBuffer();
        base = fed - header.length;
        try {
            parser.getInputFeeder().feedInput(ByteBuffer.wrap(header));
            int event;
            while ((event = parser.next()) != XMLStreamConstants.START_ELEMENT) {
                if (event == AsyncXMLStreamReader.EVENT_INCOMPLETE) throw new IllegalStateException("stream header incomplete");
            }
        } catch (XMLStreamException e) {
            throw new IllegalStateException("Cannot re-read the stream header " + new String(header, UTF_8), e);
        }
        bufferedFrom = fed;
    }

    /** The root element's start tag, with the namespace declarations it made, as bytes to re-read. */
    private static byte[] header(String prefix, String localName, Map<String, String> namespaces) {
        StringBuilder sb = new StringBuilder("<");
        if (prefix != null && !prefix.isEmpty()) sb.append(prefix).append(':');
        sb.append(localName);
        namespaces.forEach((p, uri) -> {
            sb.append(" xmlns");
            if (!p.isEmpty()) sb.append(':').append(p);
            sb.append("=\"");
            XmlWriter.escapeAttribute(uri, sb);
            sb.append('"');
        });
        return sb.append('>').toString().getBytes(UTF_8);
    }

    /**
     * Aalto's async parser cannot read a DTD's internal subset and would call it malformed;
     * RFC 6120 §11.1 wants restricted-xml, so the prolog is scanned for a DOCTYPE first.
     */
    private void refuseDoctype(ByteBuffer buffer) throws XmlException {
        for (int i = buffer.position(); i < buffer.limit(); i++) {
            byte b = buffer.get(i);
            if (b == DOCTYPE[doctypeMatched]) {
                if (++doctypeMatched == DOCTYPE.length) {
                    fail(Condition.RESTRICTED_XML, "Document type declarations are not allowed in XMPP (RFC 6120 §11.1)");
                }
            } else {
                doctypeMatched = b == '<' ? 1 : 0;
            }
        }
    }

    /** Checked within a chunk (an element complete in one chunk) and across chunks (one still arriving). */
    private void tooLarge() throws XmlException {
        fail(Condition.POLICY_VIOLATION, (!rootOpen ? "The stream header" : open.isEmpty() ? "Pending XML" : "The element <" + open.getFirst().build().name() + ">")
                + " exceeds the limit of " + limits.maxElementBytes() + " bytes");
    }

    private void handle(int event, Consumer<? super XmlEvent> sink) throws XmlException {
        switch (event) {
            case XMLStreamConstants.START_DOCUMENT -> {
                String enc = parser.getCharacterEncodingScheme();
                if (enc != null && !enc.equalsIgnoreCase("UTF-8")) {
                    fail(Condition.UNSUPPORTED_ENCODING, "XMPP streams are UTF-8, not " + enc + " (RFC 6120 §11.6)");
                }
                markConsumed();
            }
            case XMLStreamConstants.START_ELEMENT -> {
                if (closed) fail(Condition.NOT_WELL_FORMED, "Data after the end of the stream");
                startElement(sink);
            }
            case XMLStreamConstants.END_ELEMENT -> endElement(sink);
            case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA -> {
                if (!open.isEmpty()) {
                    String text = parser.getText();
                    try {
                        open.getLast().text(text);
                    } catch (IllegalArgumentException e) {
                        notAnXmlCharacter(e);
                    }
                } else {
                    if (!parser.isWhiteSpace()) fail(Condition.NOT_WELL_FORMED, "Text is not allowed between top-level elements");
                    markConsumed();
                }
            }
            case XMLStreamConstants.COMMENT -> fail(Condition.RESTRICTED_XML, "Comments are not allowed in XMPP (RFC 6120 §11.1)");
            case XMLStreamConstants.PROCESSING_INSTRUCTION ->
                    fail(Condition.RESTRICTED_XML, "Processing instructions are not allowed in XMPP (RFC 6120 §11.1)");
            case XMLStreamConstants.DTD -> fail(Condition.RESTRICTED_XML, "Document type declarations are not allowed in XMPP (RFC 6120 §11.1)");
            case XMLStreamConstants.ENTITY_REFERENCE, XMLStreamConstants.ENTITY_DECLARATION ->
                    fail(Condition.RESTRICTED_XML, "Entity references other than the predefined ones are not allowed (RFC 6120 §11.1)");
            case XMLStreamConstants.END_DOCUMENT -> closed = true;
            default -> fail(Condition.RESTRICTED_XML, "Unexpected XML construct (event " + event + ")");
        }
    }

    private void startElement(Consumer<? super XmlEvent> sink) throws XmlException {
        int attributeCount = parser.getAttributeCount();
        if (attributeCount > limits.maxAttributes()) {
            fail(Condition.POLICY_VIOLATION, "<" + parser.getLocalName() + "> has " + attributeCount
                    + " attributes; at most " + limits.maxAttributes() + " are allowed");
        }
        String ns = parser.getNamespaceURI();
        Element.Builder b = null;
        try {
            b = Element.builder(parser.getLocalName(), ns == null ? "" : ns);
            for (int i = 0; i < attributeCount; i++) {
                String ans = parser.getAttributeNamespace(i);
                b.attribute(ans == null ? "" : ans, parser.getAttributeLocalName(i), parser.getAttributeValue(i));
            }
        } catch (IllegalArgumentException e) {
            notAnXmlCharacter(e);
        }
        if (!rootOpen) {
            rootOpen = true;
            Map<String, String> namespaces = new HashMap<>();
            for (int i = 0; i < parser.getNamespaceCount(); i++) {
                String prefix = parser.getNamespacePrefix(i);
                namespaces.put(prefix == null ? "" : prefix, parser.getNamespaceURI(i));
            }
            header = header(parser.getPrefix(), parser.getLocalName(), namespaces);
            markConsumed();
            sink.accept(new XmlEvent.StreamOpen(b.build(), namespaces));
            return;
        }
        if (open.isEmpty()) {
            bufferedFrom = offset(false);
        }
        if (open.size() >= limits.maxDepth()) {
            fail(Condition.POLICY_VIOLATION, "Elements are nested deeper than " + limits.maxDepth() + " levels");
        }
        open.addLast(b);
    }

    private void endElement(Consumer<? super XmlEvent> sink) throws XmlException {
        if (open.isEmpty()) {
            closed = true;
            markConsumed();
            sink.accept(new XmlEvent.StreamClose());
            return;
        }
        Element done = open.removeLast().build();
        if (open.isEmpty()) {
            markConsumed();
            sink.accept(new XmlEvent.TopLevel(done));
        } else {
            open.getLast().child(done);
        }
    }

    private void markConsumed() throws XmlException {
        bufferedFrom = offset(true);
    }

    private long offset(boolean end) throws XmlException {
        try {
            return base + (end ? parser.getLocationInfo().getEndingByteOffset() : parser.getLocationInfo().getStartingByteOffset());
        } catch (XMLStreamException e) {
            throw notWellFormed(e);
        }
    }

    /**
     * The parser decodes some malformed UTF-8 (a code point past U+10FFFF, an overlong form) into
     * characters XML does not allow, which the element model refuses: that is not-well-formed
     * input (RFC 6120 §4.9.3.13), not a server error.
     */
    private void notAnXmlCharacter(IllegalArgumentException e) throws XmlException {
        fail(Condition.NOT_WELL_FORMED, "Not well-formed XML: " + e.getMessage());
    }

    private void fail(Condition condition, String message) throws XmlException {
        failed = true;
        throw new XmlException(condition, message);
    }

    private XmlException notWellFormed(Exception e) {
        failed = true;
        return new XmlException(Condition.NOT_WELL_FORMED, "Not well-formed XML: " + firstLine(e.getMessage()), e);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
