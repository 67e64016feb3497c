package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;
import dev.strata.api.storage.KeyValueStore;

/**
 * The stream reader on anything a client may send after a stream header, split at any byte: it
 * either reports events or refuses with {@link XmlException} (a stream error), never anything
 * else; once refused it stays refused; and every element it reports is within the limits.
 */
class XmlStreamReaderFuzzTest {
    static final byte[] HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
            + "to='localhost' version='1.0'>").getBytes(UTF_8);
    static final XmlLimits LIMITS = new XmlLimits(4096, 16, 16);

    @FuzzTest(maxDuration = "30s")
    void anythingAfterTheHeaderIsReadOrRefusedWithAStreamError(byte[] input) {
        if (input.length == 0) return;
        int split = 1 + (input[0] & 0xff) % Math.max(1, input.length); // where the network cuts the bytes
        byte[] body = java.util.Arrays.copyOfRange(input, 1, input.length);
        XmlStreamReader reader = new XmlStreamReader(LIMITS);
        List<XmlEvent> events = new ArrayList<>();
        try {
            reader.feed(HEADER, 0, HEADER.length, events::add);
            int cut = Math.min(split, body.length);
            reader.feed(body, 0, cut, events::add);
            reader.feed(body, cut, body.length - cut, events::add);
        } catch (XmlException refused) {
            assertThat(refused.condition()).isNotNull();
            byte[] more = "<presence/>".getBytes(UTF_8);
            try {
                reader.feed(more, 0, more.length, events::add);
                throw new AssertionError("a reader that refused its stream read on");
            } catch (XmlException | IllegalStateException stillRefused) {
                // expected: the stream is over
            }
        }
        assertThat(events).isNotEmpty().first().isInstanceOf(XmlEvent.StreamOpen.class);
        for (XmlEvent e : events) {
            if (e instanceof XmlEvent.TopLevel(Element element)) {
                assertThat(KeyValueStore.serialize(element).getBytes(UTF_8).length).as("an element within max.stanza.size")
                        .isLessThanOrEqualTo(LIMITS.maxElementBytes() * 6); // escaping may grow what was read
            }
        }
    }
}
