package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlException.Condition;
import dev.strata.api.xml.XmlLimits;

/** RFC 6120 §4 (streams) and §11 (XML usage) as seen by the stream reader. */
class XmlStreamReaderTest {
    private static final String OPEN = "<?xml version='1.0' encoding='UTF-8'?>"
            + "<stream:stream to='example.com' version='1.0' xml:lang='en' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>";
    private static final String STANZAS = "<message to='romeo@example.net' id='m1' xml:lang='fr'>"
            + "<body>Ça va ? 😀 &lt;&amp;&gt;&quot;&apos; &#x263A; &#9786;</body><thread>t1</thread></message>"
            + "\n  <iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq> "
            + "<presence><![CDATA[<cdata & stuff>]]></presence>";
    private static final String DOC = OPEN + STANZAS + "</stream:stream>";

    private static List<XmlEvent> readAll(XmlStreamReader reader, byte[] bytes, int... cuts) throws XmlException {
        List<XmlEvent> events = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            reader.feed(ByteBuffer.wrap(bytes, from, cut - from), events::add);
            from = cut;
        }
        reader.feed(ByteBuffer.wrap(bytes, from, bytes.length - from), events::add);
        return events;
    }

    private static List<XmlEvent> read(String doc, int... cuts) throws XmlException {
        return readAll(new XmlStreamReader(XmlLimits.DEFAULT), doc.getBytes(UTF_8), cuts);
    }

    @Test
    void reportsStreamOpenTopLevelElementsAndClose() throws XmlException {
        List<XmlEvent> events = read(DOC);
        assertThat(events).hasSize(5);
        XmlEvent.StreamOpen open = (XmlEvent.StreamOpen) events.getFirst();
        assertThat(open.header().is("stream", "http://etherx.jabber.org/streams")).isTrue();
        assertThat(open.header().attribute("to")).isEqualTo("example.com");
        assertThat(open.header().attribute(Element.XML_NS, "lang")).isEqualTo("en");
        assertThat(open.namespaces()).containsEntry("", "jabber:client").containsEntry("stream", "http://etherx.jabber.org/streams");
        Element message = ((XmlEvent.TopLevel) events.get(1)).element();
        assertThat(message.is("message", "jabber:client")).isTrue();
        assertThat(message.child("body", "jabber:client").orElseThrow().text()).isEqualTo("Ça va ? 😀 <&>\"' ☺ ☺");
        Element iq = ((XmlEvent.TopLevel) events.get(2)).element();
        assertThat(iq.child("ping", "urn:xmpp:ping")).isPresent();
        assertThat(((XmlEvent.TopLevel) events.get(3)).element().text()).isEqualTo("<cdata & stuff>");
        assertThat(events.getLast()).isInstanceOf(XmlEvent.StreamClose.class);
    }

    /** Every split of the document into two chunks, at every byte (so inside UTF-8 sequences too). */
    @Test
    void givesTheSameEventsForEverySplitPoint() throws XmlException {
        List<XmlEvent> whole = read(DOC);
        byte[] bytes = DOC.getBytes(UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            assertThat(readAll(new XmlStreamReader(XmlLimits.DEFAULT), bytes, cut)).as("split at %d", cut).isEqualTo(whole);
        }
    }

    @Test
    void givesTheSameEventsFedOneByteAtATime() throws XmlException {
        byte[] bytes = DOC.getBytes(UTF_8);
        int[] cuts = new int[bytes.length - 1];
        for (int i = 0; i < cuts.length; i++) cuts[i] = i + 1;
        assertThat(readAll(new XmlStreamReader(XmlLimits.DEFAULT), bytes, cuts)).isEqualTo(read(DOC));
    }

    @Test
    void splitsInsideEveryMultiByteUtf8Sequence() throws XmlException {
        String doc = OPEN + "<message><body>é€😀ﬀ</body></message>";
        byte[] bytes = doc.getBytes(UTF_8);
        int start = OPEN.length() + "<message><body>".length();
        for (int cut = start; cut < start + 2 + 3 + 4 + 3; cut++) {
            List<XmlEvent> events = readAll(new XmlStreamReader(XmlLimits.DEFAULT), bytes, cut, cut + 1);
            assertThat(((XmlEvent.TopLevel) events.get(1)).element().elements().findFirst().orElseThrow().text()).isEqualTo("é€😀ﬀ");
        }
    }

    @Test
    void resetStartsANewStreamDocument() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        byte[] first = (OPEN + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").getBytes(UTF_8);
        assertThat(readAll(reader, first)).hasSize(2);
        reader.reset();
        assertThat(readAll(reader, DOC.getBytes(UTF_8))).hasSize(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "<message><body>unclosed</message>",
            "<message a='1' a='2'/>",
            "<message a=1/>",
            "<message>\u0001</message>",
            "<message>&#0;</message>",
            "<message><body>x</body>",
            "<p:message/>",
            "text between stanzas",
    })
    void refusesMalformedXmlAsNotWellFormed(String payload) {
        assertThatThrownBy(() -> read(OPEN + payload + "</stream:stream>"))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.NOT_WELL_FORMED));
    }

    @Test
    void refusesInvalidUtf8() {
        byte[] head = (OPEN + "<message><body>").getBytes(UTF_8);
        byte[] bad = {(byte) 0xC3, (byte) 0x28};
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        assertThatThrownBy(() -> {
            reader.feed(head, 0, head.length, e -> { });
            reader.feed(bad, 0, bad.length, e -> { });
            byte[] tail = "</body></message>".getBytes(UTF_8);
            reader.feed(tail, 0, tail.length, e -> { });
        }).isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.NOT_WELL_FORMED));
    }

    /** RFC 6120 §4.9.3.13: bytes that are not UTF-8 (a code point past U+10FFFF, an overlong NUL) and characters XML forbids. */
    @ParameterizedTest
    @ValueSource(strings = {"F4 90 80 80", "C0 80", "01", "1B", "EF BF BE"})
    void refusesBytesThatAreNotXmlCharactersInUtf8(String hex) {
        byte[] head = (OPEN + "<message><body>").getBytes(UTF_8);
        String[] parts = hex.split(" ");
        byte[] bad = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) bad[i] = (byte) Integer.parseInt(parts[i], 16);
        byte[] tail = "</body></message>".getBytes(UTF_8);
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        assertThatThrownBy(() -> {
            reader.feed(head, 0, head.length, e -> { });
            reader.feed(bad, 0, bad.length, e -> { });
            reader.feed(tail, 0, tail.length, e -> { });
        }).isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.NOT_WELL_FORMED));
    }

    @Test
    void boundsAStreamHeaderThatArrivesWholeInOneRead() {
        String header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + "a".repeat(5000) + "'>";
        XmlStreamReader reader = new XmlStreamReader(new XmlLimits(4096, 32, 64));
        byte[] bytes = header.getBytes(UTF_8);
        assertThatThrownBy(() -> reader.feed(bytes, 0, bytes.length, e -> { }))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "<message><!-- a comment --></message>",
            "<?php evil()?>",
            "<message><?pi data?></message>",
    })
    void refusesCommentsAndProcessingInstructionsAsRestrictedXml(String payload) {
        assertRefused(OPEN + payload, Condition.RESTRICTED_XML);
    }

    @Test
    void refusesABillionLaughsDtd() {
        StringBuilder dtd = new StringBuilder("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
        dtd.append("<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>");
        for (int i = 2; i <= 9; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" '").append(("&lol" + (i - 1) + ";").repeat(10)).append("'>");
        }
        dtd.append("]><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message>&lol9;</message>");
        assertRefused(dtd.toString(), Condition.RESTRICTED_XML);
    }

    @Test
    void refusesExternalEntities() {
        assertRefused("<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
                + "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message>&xxe;</message>",
                Condition.RESTRICTED_XML);
        assertRefused("<!DOCTYPE stream SYSTEM 'http://127.0.0.1:1/evil.dtd'><stream/>", Condition.RESTRICTED_XML);
    }

    @Test
    void refusesUndeclaredEntityReferences() {
        assertThatThrownBy(() -> read(OPEN + "<message>&lol9;</message>")).isInstanceOfSatisfying(XmlException.class,
                e -> assertThat(e.condition()).isIn(Condition.RESTRICTED_XML, Condition.NOT_WELL_FORMED));
    }

    @Test
    void refusesAnotherEncoding() {
        assertRefused("<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
                Condition.UNSUPPORTED_ENCODING);
    }

    @Test
    void boundsTheSizeOfOneElementEvenBeforeItCompletes() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(new XmlLimits(4096, 32, 64));
        byte[] open = (OPEN + "<message><body>").getBytes(UTF_8);
        reader.feed(open, 0, open.length, e -> { });
        byte[] chunk = "a".repeat(1000).getBytes(UTF_8);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 10; i++) reader.feed(chunk, 0, chunk.length, e -> { });
        }).isInstanceOfSatisfying(XmlException.class, e -> {
            assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION);
            assertThat(e.getMessage()).contains("4096 bytes");
        });
    }

    @Test
    void boundsTheSizeOfAnElementThatArrivesWholeInOneChunk() {
        byte[] all = (OPEN + "<message><body>" + "a".repeat(10_000) + "</body></message>").getBytes(UTF_8);
        assertThatThrownBy(() -> new XmlStreamReader(new XmlLimits(4096, 32, 64)).feed(all, 0, all.length, e -> { }))
                .isInstanceOfSatisfying(XmlException.class, e -> {
                    assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION);
                    assertThat(e.getMessage()).contains("<message>", "4096 bytes");
                });
    }

    @Test
    void sizeLimitAppliesPerElementNotPerStream() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(new XmlLimits(4096, 32, 64));
        byte[] open = OPEN.getBytes(UTF_8);
        reader.feed(open, 0, open.length, e -> { });
        byte[] stanza = ("<message><body>" + "a".repeat(3000) + "</body></message>  ").getBytes(UTF_8);
        List<XmlEvent> events = new ArrayList<>();
        for (int i = 0; i < 100; i++) reader.feed(stanza, 0, stanza.length, events::add);
        assertThat(events).hasSize(100);
    }

    @Test
    void boundsAnOversizedStreamHeader() {
        String header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + "a".repeat(5000) + "'>";
        XmlStreamReader reader = new XmlStreamReader(new XmlLimits(4096, 32, 64));
        byte[] bytes = header.getBytes(UTF_8);
        assertThatThrownBy(() -> reader.feed(bytes, 0, 4500, e -> { }))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION));
    }

    @Test
    void boundsDepth() {
        XmlLimits limits = new XmlLimits(65536, 5, 64);
        String deep = "<a>".repeat(6) + "</a>".repeat(6);
        assertThatThrownBy(() -> readAll(new XmlStreamReader(limits), (OPEN + deep).getBytes(UTF_8)))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION));
        String ok = "<a>".repeat(5) + "</a>".repeat(5);
        assertThat(assertReads(limits, OPEN + ok)).hasSize(2);
    }

    @Test
    void boundsAttributeCount() {
        XmlLimits limits = new XmlLimits(65536, 32, 3);
        assertThatThrownBy(() -> readAll(new XmlStreamReader(limits), (OPEN + "<m a='1' b='2' c='3' d='4'/>").getBytes(UTF_8)))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION));
    }

    @Test
    void aFailedReaderStaysFailed() {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        byte[] bad = (OPEN + "<a><!-- x -->").getBytes(UTF_8);
        assertThatThrownBy(() -> reader.feed(bad, 0, bad.length, e -> { })).isInstanceOf(XmlException.class);
        byte[] more = "<b/>".getBytes(UTF_8);
        assertThatThrownBy(() -> reader.feed(more, 0, more.length, e -> { })).isInstanceOf(XmlException.class);
    }

    @Test
    void refusesDataAfterTheStreamCloses() {
        assertThatThrownBy(() -> read(DOC + "<message/>"))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.NOT_WELL_FORMED));
    }

    private static List<XmlEvent> assertReads(XmlLimits limits, String doc) {
        try {
            return readAll(new XmlStreamReader(limits), doc.getBytes(UTF_8));
        } catch (XmlException e) {
            throw new AssertionError(e);
        }
    }

    // --- hibernation: an idle stream drops its parser and re-reads its header on the next bytes ---

    private static void feed(XmlStreamReader reader, String text, List<XmlEvent> events) throws XmlException {
        byte[] b = text.getBytes(UTF_8);
        reader.feed(ByteBuffer.wrap(b), events::add);
    }

    @Test
    void anIdleStreamDropsItsParserAndTheHeadersNamespacesStillApplyAfterwards() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        List<XmlEvent> events = new ArrayList<>();
        feed(reader, OPEN.replace("xmlns='jabber:client'", "xmlns='jabber:client' xmlns:x=\"urn:a&amp;'b\""), events);
        assertThat(reader.hibernate()).as("right after the header").isTrue();
        feed(reader, "<message><body>one</body></message>\n ", events);
        assertThat(reader.hibernate()).as("whitespace keep-alive pending only").isTrue();
        assertThat(reader.isHibernating()).isTrue();
        feed(reader, " <x:ping/><message to='a@b'><body>t", events);
        assertThat(reader.hibernate()).as("inside an element").isFalse();
        feed(reader, "wo</body></message><stream:error><x:gone/></stream:error></stream:stream>", events);
        assertThat(reader.hibernate()).as("after the stream's end").isFalse();

        assertThat(events).hasSize(6);
        assertThat(((XmlEvent.TopLevel) events.get(1)).element().child("body", "jabber:client").orElseThrow().text()).isEqualTo("one");
        assertThat(((XmlEvent.TopLevel) events.get(2)).element().is("ping", "urn:a&'b")).isTrue();
        Element message = ((XmlEvent.TopLevel) events.get(3)).element();
        assertThat(message.is("message", "jabber:client")).isTrue();
        assertThat(message.child("body", "jabber:client").orElseThrow().text()).isEqualTo("two");
        Element error = ((XmlEvent.TopLevel) events.get(4)).element();
        assertThat(error.is("error", "http://etherx.jabber.org/streams")).isTrue();
        assertThat(error.child("gone", "urn:a&'b")).isPresent();
        assertThat(events.getLast()).isInstanceOf(XmlEvent.StreamClose.class);
    }

    @Test
    void aStreamKeepsItsParserWhileSomethingIsPending() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(XmlLimits.DEFAULT);
        List<XmlEvent> events = new ArrayList<>();
        feed(reader, "<?xml version='1.0'?><stream:str", events);
        assertThat(reader.hibernate()).as("before the header is complete").isFalse();
        feed(reader, "eam xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><presence/><mess", events);
        assertThat(reader.hibernate()).as("a start tag cut in two").isFalse();
        feed(reader, "age/>", events);
        assertThat(reader.hibernate()).as("the element completed").isTrue();
        assertThat(events).hasSize(3);
        assertThat(((XmlEvent.TopLevel) events.get(2)).element().is("message", "jabber:client")).isTrue();
    }

    @Test
    void theElementSizeLimitHoldsAcrossHibernation() throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(new XmlLimits(4096, 32, 64));
        List<XmlEvent> events = new ArrayList<>();
        feed(reader, OPEN + "<presence/>", events);
        assertThat(reader.hibernate()).isTrue();
        feed(reader, "<message><body>" + "a".repeat(3000), events);
        assertThatThrownBy(() -> feed(reader, "b".repeat(2000), events))
                .isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(Condition.POLICY_VIOLATION));
    }

    private static void assertRefused(String doc, Condition condition) {
        assertThatThrownBy(() -> read(doc)).isInstanceOfSatisfying(XmlException.class, e -> assertThat(e.condition()).isEqualTo(condition));
    }
}
