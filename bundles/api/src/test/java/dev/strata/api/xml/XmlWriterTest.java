package dev.strata.api.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

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
    void roundTripsThroughTheDocumentParser() throws XmlException {
        assertThat(Xml.parse(XmlWriter.toString(MESSAGE, ""))).isEqualTo(MESSAGE);
        assertThat(Xml.parse("<a xmlns='urn:a'><b xmlns='urn:b' c='1'>x &amp; y</b><c/></a>"))
                .isEqualTo(Element.builder("a", "urn:a").child(Element.builder("b", "urn:b").attribute("c", "1").text("x & y").build())
                        .child(Element.of("c", "urn:a")).build());
    }

    @Test
    void theDocumentParserRefusesWhatAStreamRefuses() {
        assertThatThrownBy(() -> Xml.parse("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>")).isInstanceOf(XmlException.class)
                .satisfies(e -> assertThat(((XmlException) e).condition()).isIn(XmlException.Condition.RESTRICTED_XML, XmlException.Condition.NOT_WELL_FORMED));
        assertThatThrownBy(() -> Xml.parse("<a><!-- c --></a>")).hasMessageContaining("Comments");
        assertThatThrownBy(() -> Xml.parse("<a><?pi x?></a>")).hasMessageContaining("Processing instructions");
        assertThatThrownBy(() -> Xml.parse("<a>")).isInstanceOf(XmlException.class);
        assertThatThrownBy(() -> Xml.parse("")).isInstanceOf(XmlException.class);
        assertThatThrownBy(() -> Xml.parse("<a/><b/>")).isInstanceOf(XmlException.class);
        assertThatThrownBy(() -> Xml.parse("<a>" + "<b>".repeat(40) + "</b>".repeat(40) + "</a>")).hasMessageContaining("nested deeper");
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
