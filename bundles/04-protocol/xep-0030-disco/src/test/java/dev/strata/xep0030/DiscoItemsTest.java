package dev.strata.xep0030;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.module.DiscoItemsProvider;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0030 §4: the server's items are the services hosted under its domain and what modules list, while they are registered. */
class DiscoItemsTest {
    final DiscoItems items = new DiscoItems();
    final FakeSession alice = new FakeSession("alice@example.org/phone");
    final DomainService muc = (stanza, from) -> { };

    Element ask(String to, String node) throws StanzaException {
        Element.Builder q = Element.builder("query", DiscoItems.ITEMS);
        if (node != null) q.attribute("node", node);
        return items.handle(Iqs.get(alice.jid().toString(), to, q.build()), alice);
    }

    @Test
    void servicesOnSubdomainsAreListedWhileTheyAreRegistered() throws StanzaException {
        items.addService(muc, Map.of(DomainService.DOMAIN, new String[] {"conference.example.org", "conference.other.org"}, DomainService.NAME, "Rooms"));
        assertThat(ask("example.org", null).elements().map(Element::toXml).toList())
                .containsExactly("<item xmlns=\"http://jabber.org/protocol/disco#items\" jid=\"conference.example.org\" name=\"Rooms\"/>");
        assertThat(ask("alice@example.org", null).elements()).as("an account lists no services").isEmpty();
        items.removeService(muc);
        assertThat(ask("example.org", null).elements()).isEmpty();
    }

    @Test
    void aNodeListsWhatItsProviderGivesAndAnUnknownNodeIsNotFound() throws StanzaException {
        DiscoItemsProvider commands = from -> List.of(Element.builder("item", DiscoItems.ITEMS).attribute("jid", "example.org").attribute("node", "ping").build());
        items.addProvider(commands, Map.of(DiscoItemsProvider.NODE, "http://jabber.org/protocol/commands"));
        assertThat(ask("example.org", "http://jabber.org/protocol/commands").elements().count()).isEqualTo(1);
        assertThat(ask("example.org", null).elements()).as("not at the top level").isEmpty();
        assertThatThrownBy(() -> ask("example.org", "nowhere"))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
    }
}
