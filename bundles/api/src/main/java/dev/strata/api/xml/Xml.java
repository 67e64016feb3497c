package dev.strata.api.xml;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import dev.strata.api.xml.XmlException.Condition;

/**
 * Reads one element from a string: a stored document, a configured fragment, a test fixture. It
 * uses the JDK's own StAX parser, so the API ties no plugin to a parser library (the transport's
 * streaming reader is its own business), with the refusals of an XMPP stream (RFC 6120 §11.1: no
 * DTD, comments, processing instructions or entities beyond the predefined ones) and the bounds of
 * {@link XmlLimits#DEFAULT}.
 */
public final class Xml {
    /*
     * Factories set to reuse their reader: the JDK's reader allocates about 15 KB of buffers and
     * tables when made, more than a stored stanza's parse (3 KB) and five times as slow (measured:
     * 17.8 against 2.6 µs for a message). A factory that reuses holds one reader and is not
     * thread-safe, so each parse takes one from this pool and gives it back.
     */
    private static final ArrayBlockingQueue<XMLInputFactory> FACTORIES = new ArrayBlockingQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    private Xml() {
    }

    private static XMLInputFactory newFactory() {
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty("reuse-instance", true); // the JDK's own property (com.sun.xml.internal.stream.XMLInputFactoryImpl)
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        // the JDK counts text made of predefined entities (&gt;...) against entity limits of its own
        // (100,000 characters in JDK 25); with no DTD there are no other entities, and XmlLimits bounds the size
        for (String limit : new String[] {"jdk.xml.maxGeneralEntitySizeLimit", "jdk.xml.totalEntitySizeLimit", "jdk.xml.entityExpansionLimit"}) {
            f.setProperty(limit, 0);
        }
        return f;
    }

    /** The single root element of {@code xml}. */
    public static Element parse(String xml) throws XmlException {
        return parse(xml, XmlLimits.DEFAULT);
    }

    public static Element parse(String xml, XmlLimits limits) throws XmlException {
        if (xml.length() > limits.maxElementBytes()) {
            throw new XmlException(Condition.POLICY_VIOLATION, "The document is larger than " + limits.maxElementBytes() + " bytes");
        }
        ArrayDeque<Element.Builder> open = new ArrayDeque<>();
        Element root = null;
        XMLStreamReader r = null;
        XMLInputFactory factory = FACTORIES.poll();
        if (factory == null) factory = newFactory();
        try {
            r = factory.createXMLStreamReader(new StringReader(xml));
            while (r.hasNext()) {
                int event = r.next();
                switch (event) {
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (root != null) throw new XmlException(Condition.NOT_WELL_FORMED, "More than one root element");
                        if (open.size() >= limits.maxDepth()) {
                            throw new XmlException(Condition.POLICY_VIOLATION, "Elements are nested deeper than " + limits.maxDepth() + " levels");
                        }
                        if (r.getAttributeCount() > limits.maxAttributes()) {
                            throw new XmlException(Condition.POLICY_VIOLATION, "<" + r.getLocalName() + "> has more than " + limits.maxAttributes() + " attributes");
                        }
                        String ns = r.getNamespaceURI();
                        Element.Builder b = Element.builder(r.getLocalName(), ns == null ? "" : ns);
                        for (int i = 0; i < r.getAttributeCount(); i++) {
                            String ans = r.getAttributeNamespace(i);
                            b.attribute(ans == null ? "" : ans, r.getAttributeLocalName(i), r.getAttributeValue(i));
                        }
                        open.addLast(b);
                    }
                    case XMLStreamConstants.END_ELEMENT -> {
                        Element done = open.removeLast().build();
                        if (open.isEmpty()) root = done;
                        else open.getLast().child(done);
                    }
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA -> {
                        if (!open.isEmpty()) open.getLast().text(r.getText());
                        else if (!r.isWhiteSpace()) throw new XmlException(Condition.NOT_WELL_FORMED, "Text outside the root element");
                    }
                    case XMLStreamConstants.COMMENT -> throw new XmlException(Condition.RESTRICTED_XML, "Comments are not allowed (RFC 6120 §11.1)");
                    case XMLStreamConstants.PROCESSING_INSTRUCTION ->
                            throw new XmlException(Condition.RESTRICTED_XML, "Processing instructions are not allowed (RFC 6120 §11.1)");
                    case XMLStreamConstants.DTD -> throw new XmlException(Condition.RESTRICTED_XML, "Document type declarations are not allowed (RFC 6120 §11.1)");
                    case XMLStreamConstants.ENTITY_REFERENCE ->
                            throw new XmlException(Condition.RESTRICTED_XML, "Entity references other than the predefined ones are not allowed (RFC 6120 §11.1)");
                    default -> { } // START_DOCUMENT, END_DOCUMENT
                }
            }
        } catch (XMLStreamException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            throw new XmlException(Condition.NOT_WELL_FORMED, "Not well-formed XML: " + m.lines().reduce((a, b) -> b).orElse(m), e);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // nothing to release for a string
                }
            }
            FACTORIES.offer(factory); // its reader closed: reused by the next parse (dropped when the pool is full)
        }
        if (root == null) throw new XmlException(Condition.NOT_WELL_FORMED, "No element in the document");
        return root;
    }
}
