package dev.strata.api.xml;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

class XmlWriterTest {

    private static final Element MESSAGE = Element.builder("message", "jabber:client")
            .attribute("to", "juliet@example.com")
            .attribute("id", "a\"b'c<d>&e\tf\ng\rh")
            .attribute(Element.XML_NS, "lang", "en")
            .child(Element.builder("body", "jabber:client").text("1 < 2 & 3 > 2 ]]> \"q\" é 😀\r\n").build())
            .child(Element.builder("x", "urn:example").attribute("urn:attr", "a", "v").child(Element.of("y", "urn:example")).build())
            .build();

    @Test
    void escapesTextAndAttributesAndDeclaresNamespaces() {
        assertThat(XmlWriter.toString(MESSAGE, "jabber:client")).isEqualTo(
                "<message to=\"juliet@example.com\" id=\"a&quot;b'c&lt;d&gt;&amp;e&#9;f&#10;g&#13;h\" xml:lang=\"en\">"
                        + "<body>1 &lt; 2 &amp; 3 &gt; 2 ]]&gt; \"q\" é 😀&#13;\n</body>"
                        + "<x xmlns=\"urn:example\" xmlns:ns0=\"urn:attr\" ns0:a=\"v\"><y/></x></message>");
        assertThat(MESSAGE.toXml()).startsWith("<message xmlns=\"jabber:client\" ");
    }

    @Test
    void writesTheSameBytesIntoAByteBuf() {
        ByteBuf buf = Unpooled.buffer();
        XmlWriter.write(MESSAGE, buf, "jabber:client");
        assertThat(buf.toString(UTF_8)).isEqualTo(XmlWriter.toString(MESSAGE, "jabber:client"));
    }

    @Test
    void roundTripsThroughTheReader() throws XmlException {
        String doc = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                + XmlWriter.toString(MESSAGE, "jabber:client");
        List<XmlEvent> events = new ArrayList<>();
        byte[] bytes = doc.getBytes(UTF_8);
        new XmlStreamReader(XmlLimits.DEFAULT).feed(bytes, 0, bytes.length, events::add);
        assertThat(events).hasSize(2);
        assertThat(((XmlEvent.TopLevel) events.get(1)).element()).isEqualTo(MESSAGE);
    }

    @Test
    void refusesCharactersXmlCannotCarry() {
        assertThatThrownBy(() -> Element.builder("a", "").text("x\u0000y")).hasMessageContaining("U+0000");
        assertThatThrownBy(() -> Element.builder("a", "").attribute("b", "\uFFFE")).hasMessageContaining("U+FFFE");
        assertThatThrownBy(() -> Element.builder("a", "").text("\uD800")).hasMessageContaining("U+D800");
        assertThatThrownBy(() -> Element.builder("a b", "")).hasMessageContaining("contains ' '");
    }

    @Test
    void accessorsFindChildrenAndText() {
        assertThat(MESSAGE.attribute("to")).isEqualTo("juliet@example.com");
        assertThat(MESSAGE.attribute(Element.XML_NS, "lang")).isEqualTo("en");
        assertThat(MESSAGE.child("body", "jabber:client").orElseThrow().text()).startsWith("1 < 2");
        assertThat(MESSAGE.child("x", "jabber:client")).isEmpty();
        assertThat(MESSAGE.toBuilder().attribute("to", null).build().attribute("to")).isNull();
        assertThat(Element.builder("a", "").text("x").text("y").build().children()).hasSize(1);
    }
}
