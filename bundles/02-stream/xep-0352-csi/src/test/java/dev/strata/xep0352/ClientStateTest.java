package dev.strata.xep0352;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.Session;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeSession;

class ClientStateTest {
    private final ClientState csi = new ClientState(Configs.of(ClientState.Config.class, Map.of("max.held", 5)));
    /** A session that records each write: what the filter let through one by one, and each release as one write. */
    private final List<List<Element>> writes = new ArrayList<>();
    private final FakeSession phone = new FakeSession("alice@example.org/phone") {
        @Override
        public void send(Element stanza) {
            Element out = csi.outbound(this, stanza);
            if (out != null) writes.add(List.of(out));
        }

        @Override
        public void release(List<Element> held) {
            writes.add(List.copyOf(held));
        }
    };

    private void state(String name) {
        Negotiation n = (Negotiation) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Negotiation.class},
                (p, m, a) -> m.getName().equals("session") ? (Session) phone : null);
        csi.negotiate(Element.of(name, ClientState.NS), n);
    }

    private static Element presence(String from, String show) {
        return Element.builder("presence", "jabber:client").attribute("from", from)
                .child(Element.builder("show", "jabber:client").text(show).build()).build();
    }

    private static Element chatState(String from) {
        return Element.builder("message", "jabber:client").attribute("from", from).attribute("type", "chat")
                .child(Element.of("composing", "http://jabber.org/protocol/chatstates")).build();
    }

    private static Element chat(String from, String body) {
        return Element.builder("message", "jabber:client").attribute("from", from).attribute("type", "chat")
                .child(Element.builder("body", "jabber:client").text(body).build()).build();
    }

    @Test
    void anInactiveClientGetsWhatWaitedInOneWriteWithTheFirstUrgentStanzaPresenceFolded() {
        state("inactive");
        phone.send(presence("bob@example.org/a", "away"));
        phone.send(chatState("bob@example.org/a"));
        phone.send(chatState("carol@example.org/b"));
        phone.send(chatState("bob@example.org/a"));
        phone.send(presence("carol@example.org/b", "dnd"));
        phone.send(presence("bob@example.org/a", "xa"));
        assertThat(writes).as("nothing urgent yet").isEmpty();
        Element message = chat("bob@example.org/a", "hi");
        phone.send(message);
        assertThat(writes).singleElement().satisfies(w -> assertThat(w).extracting(e -> e.name() + ":" + e.attribute("from")
                + e.child("show", "jabber:client").map(x -> ":" + x.text()).orElse("")).containsExactly(
                "message:carol@example.org/b", "message:bob@example.org/a", "presence:carol@example.org/b:dnd", "presence:bob@example.org/a:xa",
                "message:bob@example.org/a"));
        writes.clear();
        phone.send(chatState("bob@example.org/a"));
        assertThat(writes).as("still inactive").isEmpty();
        state("active");
        assertThat(writes).singleElement().satisfies(w -> assertThat(w).hasSize(1));
        writes.clear();
        phone.send(chatState("bob@example.org/a"));
        assertThat(writes).as("active: straight through").hasSize(1);
    }

    @Test
    void heldStanzasAreBoundedAndReleasedWhenTheConnectionGoesOrTheSessionEnds() {
        state("inactive");
        for (int i = 0; i < 5; i++) phone.send(presence("c" + i + "@example.org/x", "away"));
        assertThat(writes).isEmpty();
        phone.send(presence("c9@example.org/x", "away"));
        assertThat(writes).as("past max.held, all go").singleElement().satisfies(w -> assertThat(w).hasSize(6));
        writes.clear();
        phone.send(chatState("bob@example.org/a"));
        csi.detached(phone, "lost");
        assertThat(writes).singleElement().satisfies(w -> assertThat(w).hasSize(1));
        assertThat(phone.attribute(ClientState.HELD)).as("active again after a lost connection").isNull();
    }

    @Test
    void urgency() {
        assertThat(ClientState.urgent(chat("a@x/1", "hi"))).isTrue();
        assertThat(ClientState.urgent(chatState("a@x/1"))).isFalse();
        assertThat(ClientState.urgent(presence("a@x/1", "away"))).isFalse();
        assertThat(ClientState.urgent(Element.builder("presence", "jabber:client").attribute("type", "subscribe").build())).isTrue();
        assertThat(ClientState.urgent(Element.builder("iq", "jabber:client").attribute("type", "get").build())).isTrue();
        Element propose = Element.builder("message", "jabber:client").child(Element.of("propose", "urn:xmpp:jingle-message:0")).build();
        assertThat(ClientState.urgent(propose)).as("a call").isTrue();
        Element receipt = Element.builder("message", "jabber:client").child(Element.of("received", "urn:xmpp:receipts")).build();
        assertThat(ClientState.urgent(receipt)).isFalse();
        assertThat(ClientState.urgent(receipt.toBuilder().child(Element.of("store", "urn:xmpp:hints")).build())).isTrue();
        Element carbon = Element.builder("message", "jabber:client").child(Element.builder("received", "urn:xmpp:carbons:2")
                .child(Element.builder("forwarded", "urn:xmpp:forward:0").child(chat("b@x/1", "hi")).build()).build()).build();
        assertThat(ClientState.urgent(carbon)).as("a carbon of a message with a body").isTrue();
    }
}
