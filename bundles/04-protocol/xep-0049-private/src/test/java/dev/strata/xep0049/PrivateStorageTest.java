package dev.strata.xep0049;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

/** XEP-0049 Private XML Storage 1.2, §2.1–§2.3. */
class PrivateStorageTest {
    final PrivateStorage handler = new PrivateStorage(new MemoryStore());
    final FakeSession alice = new FakeSession("alice@example.org/phone");
    final FakeSession bob = new FakeSession("bob@example.org/pc");

    static Element query(Element... children) {
        return Element.builder("query", PrivateStorage.NS).children(java.util.List.of(children)).build();
    }

    static Element prefs(String text) {
        Element.Builder b = Element.builder("prefs", "urn:example:prefs");
        if (text != null) b.text(text);
        return b.build();
    }

    @Test
    void storesAFragmentPerNamespaceAndGivesItBackToItsOwnerOnly() throws StanzaException {
        assertThat(handler.handle(Iqs.set(alice.jid().toString(), null, query(prefs("dark"))), alice)).isNull();
        assertThat(handler.handle(Iqs.get(alice.jid().toString(), null, query(prefs(null))), alice)).isEqualTo(query(prefs("dark")));
        // §2.3: another account asking the same namespace gets its own (empty) fragment back
        assertThat(handler.handle(Iqs.get(bob.jid().toString(), null, query(prefs(null))), bob)).isEqualTo(query(prefs(null)));
    }

    @ParameterizedTest(name = "{0} is reserved")
    @ValueSource(strings = {"jabber:iq:roster", "http://jabber.org/protocol/disco#info", "vcard-temp", ""})
    void reservedNamespacesAreNotAcceptable(String ns) {
        assertThatThrownBy(() -> handler.handle(Iqs.set(alice.jid().toString(), null, query(Element.of("x", ns))), alice))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.NOT_ACCEPTABLE));
    }

    @Test
    void oneNamespacePerRequestAndOneElementPerGet() {
        assertThatThrownBy(() -> handler.handle(Iqs.set(alice.jid().toString(), null, query(prefs("a"), Element.of("y", "urn:other"))), alice))
                .hasMessageContaining("One namespace");
        assertThatThrownBy(() -> handler.handle(Iqs.get(alice.jid().toString(), null, query(prefs(null), prefs(null))), alice))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> handler.handle(Iqs.get(alice.jid().toString(), null, query()), alice)).hasMessageContaining("Name the fragment");
    }
}
