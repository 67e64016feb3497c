package dev.strata.xep0280;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeSession;

class CarbonsTest {
    private final FakeRegistry registry = new FakeRegistry();
    private final Carbons carbons = new Carbons(registry);
    private FakeSession phone, laptop, tablet, bob;

    @BeforeEach
    void sessions() {
        phone = registry.add(new FakeSession("alice@example.org/phone").available(0));
        laptop = registry.add(new FakeSession("alice@example.org/laptop").available(0));
        tablet = registry.add(new FakeSession("alice@example.org/tablet").available(-1));
        bob = registry.add(new FakeSession("bob@example.org/home").available(0));
        for (FakeSession s : new FakeSession[] {phone, laptop, tablet, bob}) s.attribute(Carbons.ENABLED, Boolean.TRUE);
    }

    private static Element chat(String from, String to, String body) {
        return Element.builder("message", "jabber:client").attribute("type", "chat").attribute("from", from).attribute("to", to)
                .child(Element.builder("body", "jabber:client").text(body).build()).build();
    }

    @Test
    void aSentMessageIsCopiedToTheSendersOtherEnabledResourcesOnly() {
        laptop.attribute(Carbons.ENABLED, null);
        Element m = chat("alice@example.org/phone", "bob@example.org", "hi");
        assertThat(carbons.handle(m, phone)).as("routing goes on").isFalse();
        assertThat(phone.received).as("never a copy of one's own message").isEmpty();
        assertThat(laptop.received).as("carbons disabled").isEmpty();
        assertThat(tablet.received).hasSize(1);
        Element copy = tablet.received.getFirst();
        assertThat(copy.attribute("from")).isEqualTo("alice@example.org");
        assertThat(copy.attribute("to")).isEqualTo("alice@example.org/tablet");
        assertThat(copy.attribute("type")).isEqualTo("chat");
        assertThat(copy.child("sent", Carbons.NS).flatMap(s -> s.child("forwarded", Carbons.FORWARD)).flatMap(f -> f.child("message", "jabber:client")))
                .contains(m);
    }

    @Test
    void aMessageToTheBareJidIsCopiedOnlyToResourcesThatDidNotGetIt() {
        Element m = chat("bob@example.org/home", "alice@example.org", "hello");
        StanzaContext context = StanzaContext.of(bob);
        // RFC 6121 §8.5.2.1.1: phone and laptop (priority 0) get the original; tablet (-1) does not
        phone.send(m);
        carbons.delivered(m, phone, context);
        laptop.send(m);
        carbons.delivered(m, laptop, context);
        assertThat(phone.received).containsExactly(m);
        assertThat(laptop.received).containsExactly(m);
        assertThat(tablet.received).singleElement().satisfies(c -> assertThat(c.child("received", Carbons.NS)).isPresent());
    }

    @Test
    void aMessageToAFullJidIsCopiedToTheOtherResources() {
        Element m = chat("bob@example.org/home", "alice@example.org/phone", "hello");
        carbons.delivered(m, phone, StanzaContext.of(bob));
        assertThat(laptop.received).hasSize(1);
        assertThat(tablet.received).hasSize(1);
        assertThat(phone.received).isEmpty();
    }

    @Test
    void privateNoCopyGroupchatAndResentMessagesAreNotCopied() {
        Element priv = chat("bob@example.org/home", "alice@example.org/phone", "secret").toBuilder().child(Element.of("private", Carbons.NS)).build();
        StanzaContext context = StanzaContext.of(bob);
        Element delivered = carbons.filter(priv, context);
        assertThat(delivered.child("private", Carbons.NS)).as("<private/> removed before delivery (§8)").isEmpty();
        carbons.delivered(delivered, phone, context);
        Element noCopy = chat("bob@example.org/home", "alice@example.org/phone", "x").toBuilder().child(Element.of("no-copy", Carbons.HINTS)).build();
        carbons.delivered(noCopy, phone, StanzaContext.of(bob));
        Element groupchat = chat("room@muc.example.org/nick", "alice@example.org/phone", "x").toBuilder().attribute("type", "groupchat").build();
        carbons.delivered(groupchat, phone, StanzaContext.of(bob));
        carbons.delivered(chat("bob@example.org/home", "alice@example.org/phone", "again"), phone, StanzaContext.of(bob).meta(StreamAcks.RESENT, true));
        assertThat(carbons.handle(priv, phone)).isFalse();
        assertThat(laptop.received).isEmpty();
        assertThat(tablet.received).isEmpty();
    }

    @Test
    void eligibility() {
        assertThat(Carbons.eligible(chat("a@x/1", "b@x", "hi"))).isTrue();
        Element normal = Element.builder("message", "jabber:client").child(Element.builder("body", "jabber:client").text("hi").build()).build();
        assertThat(Carbons.eligible(normal)).as("normal with a body").isTrue();
        assertThat(Carbons.eligible(Element.builder("message", "jabber:client").build())).as("normal without a body").isFalse();
        Element receipt = Element.builder("message", "jabber:client").child(Element.of("received", "urn:xmpp:receipts")).build();
        assertThat(Carbons.eligible(receipt)).as("a receipt").isTrue();
        Element pm = Element.builder("message", "jabber:client").attribute("type", "chat").child(Element.of("x", Carbons.MUC_USER)).build();
        assertThat(Carbons.eligible(pm)).as("a MUC private message").isTrue();
        Element headline = Element.builder("message", "jabber:client").attribute("type", "headline")
                .child(Element.builder("body", "jabber:client").text("news").build()).build();
        assertThat(Carbons.eligible(headline)).isFalse();
        assertThat(Carbons.eligible(Carbons.wrap("sent", chat("a@x/1", "b@x", "hi"), dev.strata.api.Jid.of("a@x"), dev.strata.api.Jid.of("a@x/2"))))
                .as("a copy is not copied again").isFalse();
    }
}
