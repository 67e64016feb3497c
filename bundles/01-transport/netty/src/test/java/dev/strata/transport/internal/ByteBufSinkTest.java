package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;
import dev.strata.api.xml.XmlWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

class ByteBufSinkTest {
    static final Element MESSAGE = Element.builder("message", "jabber:client").attribute("to", "juliet@example.com")
            .attribute(Element.XML_NS, "lang", "en")
            .child(Element.builder("body", "jabber:client").text("1 < 2 & 3 > 2 ]]> \"q\" é 😀\r\n").build())
            .child(Element.builder("x", "urn:example").attribute("urn:attr", "a", "v").child(Element.of("y", "urn:example")).build())
            .build();

    @Test
    void writesTheSameBytesAsTheStringForm() {
        ByteBuf buf = Unpooled.buffer();
        ByteBufSink.write(MESSAGE, buf, "jabber:client");
        assertThat(buf.toString(UTF_8)).isEqualTo(XmlWriter.toString(MESSAGE, "jabber:client"));
    }

    @Test
    void roundTripsThroughTheStreamReader() throws XmlException {
        ByteBuf buf = Unpooled.buffer();
        buf.writeCharSequence("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", UTF_8);
        ByteBufSink.write(MESSAGE, buf, "jabber:client");
        List<XmlEvent> events = new ArrayList<>();
        new XmlStreamReader(XmlLimits.DEFAULT).feed(buf.nioBuffer(), events::add);
        assertThat(events).hasSize(2);
        assertThat(((XmlEvent.TopLevel) events.get(1)).element()).isEqualTo(MESSAGE);
    }
}
