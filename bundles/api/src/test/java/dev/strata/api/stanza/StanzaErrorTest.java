package dev.strata.api.stanza;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.strata.api.xml.Element;

class StanzaErrorTest {
    private static Element message(int bodyChars) {
        return Element.builder("message", "jabber:client").attribute("from", "a@example.org/r").attribute("to", "b@example.org").attribute("id", "m1")
                .child(Element.builder("body", "jabber:client").text("x".repeat(bodyChars)).build()).build();
    }

    @Test
    void aSmallPayloadIsEchoedALargeOneIsNot() {
        Element small = StanzaError.SERVICE_UNAVAILABLE.replyTo(message(100), "full", true);
        assertThat(small.child("body", "jabber:client")).isPresent();
        assertThat(small.attribute("to")).isEqualTo("a@example.org/r");
        Element large = StanzaError.SERVICE_UNAVAILABLE.replyTo(message(200_000), "full", true);
        assertThat(large.child("body", "jabber:client")).as("200 KB are not sent back").isEmpty();
        assertThat(large.child("error", "jabber:client")).isPresent();
        assertThat(large.attribute("id")).isEqualTo("m1");
    }
}
