package dev.strata.xep0357;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;
import dev.strata.testkit.RecordingRouter;

class PushTest {
    private final MemoryStore store = new MemoryStore();
    private final RecordingRouter router = new RecordingRouter();
    private final FakeSession phone = new FakeSession("alice@example.org/phone");

    private Push push(boolean includeBody) {
        Push p = new Push(Configs.of(Push.Config.class, Map.of("include.body", includeBody)), store);
        p.router(router);
        return p;
    }

    private static Element enable(String node) {
        Element.Builder e = Element.builder("enable", Push.NS).attribute("jid", "push.example.net");
        if (node != null) e.attribute("node", node);
        return e.child(DataForm.form("submit", Push.PUBLISH_OPTIONS, null).child(DataForm.field("secret", null, null, false, java.util.List.of("s3cret"))).build()).build();
    }

    private static Element chat(String body) {
        return Element.builder("message", "jabber:client").attribute("type", "chat").attribute("from", "bob@example.org/desk").attribute("to", "alice@example.org")
                .child(Element.builder("body", "jabber:client").text(body).build()).build();
    }

    @Test
    void anOfflineMessagePublishesASummaryWithThePublishOptionsAndNoBodyByDefault() throws Exception {
        Push p = push(false);
        p.handle(Iqs.set("alice@example.org/phone", null, enable("node-1")), phone);
        assertThat(p.handle(chat("secret plans"), phone)).as("offline storage still keeps it").isFalse();
        p.handle(chat("more"), phone);
        assertThat(router.requested).hasSize(2);
        Element iq = router.requested.getLast();
        assertThat(iq.attribute("to")).isEqualTo("push.example.net");
        assertThat(iq.attribute("from")).isEqualTo("alice@example.org");
        String xml = iq.toXml();
        assertThat(xml).contains("node=\"node-1\"").contains(Push.SUMMARY).contains("<value>2</value>").contains("bob@example.org/desk")
                .contains(Push.PUBLISH_OPTIONS).contains("s3cret").doesNotContain("secret plans").doesNotContain("more");
        assertThat(push(true)).satisfies(q -> {
            q.handle(chat("the body"), phone);
            assertThat(router.requested.getLast().toXml()).contains("last-message-body").contains("the body");
        });
    }

    @Test
    void onlyDetachedStreamManagedSessionsAndWorthwhileMessagesArePushed() throws Exception {
        Push p = push(false);
        p.handle(Iqs.set("alice@example.org/phone", null, enable("n")), phone);
        p.delivered(chat("hi"), phone, StanzaContext.of(phone));
        assertThat(router.requested).as("a connected session").isEmpty();
        FakeSession asleep = new FakeSession("alice@example.org/asleep") {
            @Override
            public boolean isConnected() {
                return false;
            }
        };
        asleep.attribute(StreamAcks.ATTRIBUTE, new StreamAcks("id", java.time.Duration.ofSeconds(300), 500, 5));
        p.delivered(chat("hi"), asleep, StanzaContext.of(phone));
        assertThat(router.requested).hasSize(1);
        Element composing = Element.builder("message", "jabber:client").attribute("type", "chat").attribute("to", "alice@example.org")
                .child(Element.of("composing", "http://jabber.org/protocol/chatstates")).build();
        p.delivered(composing, asleep, StanzaContext.of(phone));
        p.handle(composing, phone);
        assertThat(router.requested).as("a chat state wakes nobody").hasSize(1);
    }

    @Test
    void badRequestsAndDisable() throws Exception {
        Push p = push(false);
        assertThatThrownBy(() -> p.handle(Iqs.set("alice@example.org/phone", null, enable(null)), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST)).hasMessageContaining("node");
        p.handle(Iqs.set("alice@example.org/phone", null, enable("a")), phone);
        p.handle(Iqs.set("alice@example.org/phone", null, enable("b")), phone);
        assertThat(p.registrations(Jid.of("alice@example.org"))).hasSize(2);
        p.handle(Iqs.set("alice@example.org/phone", null, Element.builder("disable", Push.NS).attribute("jid", "push.example.net").attribute("node", "a").build()), phone);
        assertThat(p.registrations(Jid.of("alice@example.org"))).extracting(Push.Registration::node).containsExactly("b");
        p.handle(Iqs.set("alice@example.org/phone", null, Element.builder("disable", Push.NS).attribute("jid", "push.example.net").build()), phone);
        assertThat(p.registrations(Jid.of("alice@example.org"))).isEmpty();
    }
}
