package dev.strata.xep0191;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

/** XEP-0191 Blocking Command 1.3, with XEP-0016 §2.1 matching. */
class BlockingTest {
    final MemoryStore store = new MemoryStore();
    final Blocking blocking = new Blocking(Configs.of(Blocking.Config.class, Map.of("max.items", 5)), store, FakeServer.of("example.org"));
    final FakeSession alice = new FakeSession("alice@example.org/phone");

    @ParameterizedTest(name = "item {0} blocks {1}: {2}")
    @CsvSource({
            "bob@example.org, bob@example.org, true",
            "bob@example.org, bob@example.org/pc, true", // a bare JID blocks every resource
            "bob@example.org/pc, bob@example.org/pc, true",
            "bob@example.org/pc, bob@example.org/phone, false",
            "bob@example.org/pc, bob@example.org, false",
            "example.net, carol@example.net/x, true", // a domain blocks everyone there
            "example.net, example.net, true",
            "example.net, example.org, false",
            "example.net/res, example.net/res, true", // domain/resource: only that server resource
            "example.net/res, carol@example.net/res, false"})
    void matchesAsXep0016Does(String item, String address, boolean blocked) throws StanzaException {
        blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", item)), alice);
        assertThat(blocking.blocks(alice.jid().bare(), Jid.of(address))).isEqualTo(blocked);
    }

    @Test
    void aBlocklistIsBounded() throws StanzaException {
        blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", "a@x.org", "b@x.org", "c@x.org", "d@x.org")), alice);
        assertThatThrownBy(() -> blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", "e@x.org", "f@x.org")), alice))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.getMessage()).contains("The blocklist is full (5 entries)"));
        assertThat(blocking.blocklist(alice.jid().bare())).hasSize(4);
        blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", "a@x.org", "e@x.org")), alice); // one new: fits
        assertThat(blocking.blocklist(alice.jid().bare())).hasSize(5);
    }

    static Element block(String tag, String... jids) {
        Element.Builder b = Element.builder(tag, Blocking.NS);
        for (String j : jids) b.child(Element.builder("item", Blocking.NS).attribute("jid", j).build());
        return b.build();
    }

    static Element message(String from, String to) {
        return Element.builder("message", "jabber:client").attribute("from", from).attribute("to", to).attribute("type", "chat").build();
    }

    @Test
    void aBlockedContactCannotReachTheUserAndTheUserCannotReachIt() throws StanzaException {
        blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", "bob@example.org")), alice);
        FakeSession bob = new FakeSession("bob@example.org/pc");
        assertThat(blocking.handle(message("bob@example.org/pc", "alice@example.org"), bob)).as("§3.4: consumed").isTrue();
        assertThat(bob.received.getFirst().toXml()).contains("service-unavailable");
        assertThat(blocking.handle(message("alice@example.org/phone", "bob@example.org"), alice)).isTrue();
        assertThat(alice.received.getFirst().toXml()).as("§3.5").contains("not-acceptable", "<blocked xmlns=\"urn:xmpp:blocking:errors\"/>");
        assertThat(blocking.handle(message("carol@example.org/x", "alice@example.org"), bob)).isFalse();

        blocking.handle(Iqs.set(alice.jid().toString(), null, block("unblock")), alice); // §3.6: unblock all
        assertThat(blocking.handle(message("bob@example.org/pc", "alice@example.org"), bob)).isFalse();
    }

    @Test
    void theBlocklistIsReadBackSortedAndABlockNeedsItems() throws StanzaException {
        blocking.handle(Iqs.set(alice.jid().toString(), null, block("block", "zed@example.org", "bob@example.org")), alice);
        Element list = blocking.handle(Iqs.get(alice.jid().toString(), null, Element.of("blocklist", Blocking.NS)), alice);
        assertThat(list.elements().map(e -> e.attribute("jid")).toList()).containsExactly("bob@example.org", "zed@example.org");
        assertThatThrownBy(() -> blocking.handle(Iqs.set(alice.jid().toString(), null, block("block")), alice)).hasMessageContaining("at least one");
    }

    /** A storage outage must not let a blocked stanza through: the hook throws, and the router fails closed. */
    @Test
    void aStorageFailureIsNotTakenForAnEmptyBlocklist() {
        Blocking broken = new Blocking(Configs.defaults(Blocking.Config.class), new MemoryStore() {
            @Override
            public List<String> keys(Jid user, String s) {
                throw new StorageException("database down");
            }

            @Override
            public Optional<Element> get(Jid user, String s, String key) {
                throw new StorageException("database down");
            }

            @Override
            public Map<String, Element> getAll(Jid user, String s) {
                throw new StorageException("database down");
            }
        }, FakeServer.of("example.org"));
        assertThatThrownBy(() -> broken.handle(message("bob@example.org/pc", "alice@example.org"), alice)).isInstanceOf(StorageException.class);
    }
}
