package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;

/**
 * The stanza/storage round trip: whatever a stream lets in, once serialized as the key-value store
 * keeps it, reads back as the same element with the store's own limits (a message the server
 * accepted must never become a record nobody can read, and so break a mailbox).
 */
class StoredStanzaFuzzTest {
    /** The store's limits (storage bundle, KeyValues.STORED): as long as a document may be, far deeper and wider than a stream. */
    static final XmlLimits STORED = new XmlLimits(KeyValueStore.MAX_DOCUMENT_CHARS, 256, 4096);

    @FuzzTest(maxDuration = "30s")
    void everyStanzaAStreamAcceptsReadsBackFromStorage(byte[] body) {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        List<Element> stanzas = new ArrayList<>();
        try {
            reader.feed(XmlStreamReaderFuzzTest.HEADER, 0, XmlStreamReaderFuzzTest.HEADER.length, e -> { });
            reader.feed(body, 0, body.length, e -> {
                if (e instanceof XmlEvent.TopLevel(Element element)) stanzas.add(element);
            });
        } catch (XmlException refused) {
            // a stream error: what was accepted before it is still checked
        }
        for (Element stanza : stanzas) {
            // the router adds a 'from' before a stanza is stored (an offline message)
            Element stored = stanza.attribute("from") == null
                    ? stanza.toBuilder().attribute("from", "mallory@localhost/" + "r".repeat(1023)).build() : stanza;
            String document = KeyValueStore.serialize(stored);
            if (document.length() > KeyValueStore.MAX_DOCUMENT_CHARS) continue; // refused before storing (DocumentTooLargeException)
            Element back;
            try {
                back = Xml.parse(document, STORED);
            } catch (XmlException e) {
                throw new AssertionError("stored but unreadable (" + e.getMessage() + "): " + new String(document.getBytes(UTF_8), UTF_8), e);
            }
            assertThat(back).isEqualTo(stored);
        }
    }
}
