package dev.strata.api.stanza;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.strata.api.xml.Element;

class MessagesTest {
    private static Element message(Element... children) {
        Element.Builder b = Element.builder("message", Iq.CLIENT_NS).attribute("to", "a@example.org");
        for (Element c : children) b.child(c);
        return b.build();
    }

    @Test
    void aBodyOrAnEncryptedPayloadIsContentAndHintsAreRead() {
        assertThat(Messages.hasContent(message(Element.builder("body", Iq.CLIENT_NS).text("hi").build()))).isTrue();
        assertThat(Messages.hasContent(message(Element.of("encrypted", "eu.siacs.conversations.axolotl")))).isTrue();
        assertThat(Messages.hasContent(message(Element.of("composing", "http://jabber.org/protocol/chatstates")))).isFalse();
        assertThat(Messages.hint(message(Element.of("no-store", Messages.HINTS)), "no-store")).isTrue();
        assertThat(Messages.hint(message(), "no-store")).isFalse();
    }

    @Test
    void theFirstStampOfAnEntityStays() {
        Instant first = Instant.parse("2026-12-04T10:00:00Z");
        Element once = Messages.delayed(message(), "example.org", first, "first");
        Element twice = Messages.delayed(once, "example.org", first.plusSeconds(60), "second");
        assertThat(twice).isSameAs(once);
        assertThat(Messages.stampedBy(once, "example.org")).isTrue();
        assertThat(Messages.stampedBy(once, "other.example")).isFalse();
        assertThat(once.child("delay", Messages.DELAY).orElseThrow().attribute("stamp")).isEqualTo("2026-12-04T10:00:00Z");
    }

    @Test
    void withoutDropsOnlyWhatMatchesAndIsItselfWhenNothingDoes() {
        Element m = message(Element.of("private", "urn:xmpp:carbons:2"), Element.builder("body", Iq.CLIENT_NS).text("hi").build());
        assertThat(m.without(e -> e.is("nothing", "x"))).isSameAs(m);
        Element dropped = m.without(e -> e.is("private", "urn:xmpp:carbons:2"));
        assertThat(dropped.child("private", "urn:xmpp:carbons:2")).isEmpty();
        assertThat(dropped.child("body", Iq.CLIENT_NS)).isPresent();
        assertThat(dropped.attribute("to")).isEqualTo("a@example.org");
    }
}
