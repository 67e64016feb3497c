package org.example.strata.wordfilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeSession;

/** A plugin's unit test with strata-testkit: the component built as DS builds it, a fake session as the sender. */
class WordFilterTest {
    private final FakeSession alice = new FakeSession("alice@localhost/phone");

    private static Element message(String body) {
        return Element.builder("message", "jabber:client").attribute("to", "bob@localhost").attribute("type", "chat")
                .child(Element.builder("body", "jabber:client").text(body).build())
                .child(Element.of("active", "http://jabber.org/protocol/chatstates")).build();
    }

    @Test
    void masksConfiguredWordsWholeAndInAnyCase() {
        WordFilter filter = new WordFilter(Configs.of(WordFilter.Config.class, Map.of("words", new String[] {"darn", "heck"})));
        Element out = filter.filter(message("Darn it, what the heck; darning is fine"), StanzaContext.of(alice));
        assertThat(out.child("body", "jabber:client").orElseThrow().text()).isEqualTo("**** it, what the ****; darning is fine");
        assertThat(out.attribute("to")).isEqualTo("bob@localhost");
        assertThat(out.child("active", "http://jabber.org/protocol/chatstates")).as("the rest of the stanza kept").isPresent();
    }

    @Test
    void passesOnWhatItDoesNotChangeAsItIs() {
        WordFilter filter = new WordFilter(Configs.of(WordFilter.Config.class, Map.of("words", new String[] {"darn"})));
        Element clean = message("hello");
        assertThat(filter.filter(clean, StanzaContext.of(alice))).isSameAs(clean);
        Element presence = Element.of("presence", "jabber:client");
        assertThat(filter.filter(presence, StanzaContext.of(alice))).isSameAs(presence);
    }

    @Test
    void aNewConfigurationAppliesWithoutANewComponent() {
        WordFilter filter = new WordFilter(Configs.defaults(WordFilter.Config.class));
        Element m = message("darn");
        assertThat(filter.filter(m, StanzaContext.of(alice))).as("no words configured: nothing masked").isSameAs(m);
        filter.modified(Configs.of(WordFilter.Config.class, Map.of("words", new String[] {"darn"}, "mask", "#")));
        assertThat(filter.filter(m, StanzaContext.of(alice)).child("body", "jabber:client").orElseThrow().text()).isEqualTo("####");
    }
}
