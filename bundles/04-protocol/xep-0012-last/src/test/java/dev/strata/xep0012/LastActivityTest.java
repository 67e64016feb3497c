package dev.strata.xep0012;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

/** XEP-0012 Last Activity 2.0: the server's uptime (§6), an account's last logout for itself and its subscribers (§4). */
class LastActivityTest {
    final FakeRegistry registry = new FakeRegistry();
    final MemoryStore store = new MemoryStore();
    final LastActivity last = new LastActivity(store);
    final FakeSession alice = new FakeSession("alice@example.org/phone");
    final FakeSession mallory = new FakeSession("mallory@example.org/pc");

    @BeforeEach
    void wire() throws ReflectiveOperationException {
        Field f = LastActivity.class.getDeclaredField("sessions");
        f.setAccessible(true);
        f.set(last, registry);
    }

    static Element query() {
        return Element.of("query", LastActivity.NS);
    }

    @Test
    void theServerAnswersWithItsUptime() throws StanzaException {
        Element q = last.handle(Iqs.get(alice.jid().toString(), "example.org", query()), alice);
        assertThat(Long.parseLong(q.attribute("seconds"))).isNotNegative();
    }

    @Test
    void anAccountsLastLogoutWithItsStatusOrZeroWhileOnline() throws StanzaException {
        assertThatThrownBy(() -> last.handle(Iqs.get(alice.jid().toString(), "alice@example.org", query()), alice))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
        last.handle(Element.builder("presence", "jabber:client").attribute("type", "unavailable")
                .child(Element.builder("status", "jabber:client").text("gone fishing").build()).build(), alice);
        Element q = last.handle(Iqs.get(alice.jid().toString(), "alice@example.org", query()), alice);
        assertThat(q.text()).isEqualTo("gone fishing");
        assertThat(Long.parseLong(q.attribute("seconds"))).isBetween(0L, 5L);
        registry.add(new FakeSession("alice@example.org/laptop").available(0));
        assertThat(last.handle(Iqs.get(alice.jid().toString(), "alice@example.org", query()), alice).attribute("seconds")).isEqualTo("0");
    }

    /** Logout times are written behind, together: answered from what waits at once, stored by the next flush or when the module stops. */
    @Test
    void logoutTimesAreWrittenBehindAndNoneIsLostWhenTheModuleStops() throws Exception {
        Jid account = alice.jid().bare();
        last.handle(Element.builder("presence", "jabber:client").attribute("type", "unavailable").build(), alice);
        assertThat(last.handle(Iqs.get(alice.jid().toString(), "alice@example.org", query()), alice).attribute("seconds")).isNotNull();
        assertThat(store.get(account, "last", "logout")).as("not written at once").isEmpty();
        last.flush();
        assertThat(store.get(account, "last", "logout")).isPresent();
        FakeSession bob = new FakeSession("bob@example.org/pc");
        last.handle(Element.builder("presence", "jabber:client").attribute("type", "unavailable")
                .child(Element.builder("status", "jabber:client").text("bye").build()).build(), bob);
        last.deactivate();
        assertThat(store.get(bob.jid().bare(), "last", "logout")).hasValueSatisfying(e -> assertThat(e.text()).isEqualTo("bye"));
    }

    @Test
    void someoneNotSubscribedIsForbidden() {
        assertThatThrownBy(() -> last.handle(Iqs.get(mallory.jid().toString(), "alice@example.org", query()), mallory))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.FORBIDDEN));
    }
}
